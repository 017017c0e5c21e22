"""Vocab Tuner recipe: what trains, the regularisers' pieces, validation and saving.

Mirrors src-main/tuning/methods.ts (trainable weights), regularizers.ts (deltas, Fisher) and
validate.ts (loss, term log-prob, term recall, the general-set guard).
"""
import contextlib
import copy
import json
import math
import os
import re

import torch
import torch.nn.functional as F

from vt_data import IGNORE


# ---- what trains --------------------------------------------------------------------------------

def trainable_names(model, cfg):
    """methods.ts trainableNames: which weights a non-LoRA method trains (never the sinusoids)."""
    names = [n for n, _ in model.named_parameters() if n != "model.encoder.embed_positions.weight"]
    m = cfg["method"]
    if m == "full":
        return names
    if m == "layernorm":
        return [n for n in names if re.search(r"layer_norm\.(weight|bias)$", n)]
    if m == "bias":
        return [n for n in names if n.endswith(".bias") and "layer_norm" not in n]
    frozen = cfg["freeze_encoder_layers"]
    n_layers = model.config.encoder_layers
    out = []
    for n in names:
        if not n.startswith("model.encoder."):
            out.append(n)
        elif frozen != "all":
            mm = re.match(r"^model\.encoder\.layers\.(\d+)\.", n)
            if (mm and int(mm.group(1)) >= frozen) or (not mm and n.startswith("model.encoder.layer_norm") and frozen < n_layers):
                out.append(n)
    return out


def lora_modules(model):
    """(HF module name, LoRA layer) for every adapted module of a PEFT model."""
    out = []
    for name, mod in model.named_modules():
        if hasattr(mod, "lora_A") and "default" in getattr(mod, "lora_A", {}):
            out.append((name.replace("base_model.model.", "", 1), mod))
    return out


def deltas(model, cfg, base):
    """Effective weight changes θ − θ_base: for LoRA scaling·B·A per module (methods.ts deltas)."""
    if cfg["method"] == "lora":
        return {f"{n}.weight": m.scaling["default"] * (m.lora_B["default"].weight @ m.lora_A["default"].weight) for n, m in lora_modules(model)}
    params = dict(model.named_parameters())
    return {n: params[n] - b for n, b in base.items()}


def estimate_fisher(model, cfg, data, device):
    """regularizers.ts estimateFisher: mean squared gradient of the base model's loss per weight."""
    if cfg["method"] == "lora":
        targets = {f"{n}.weight": m.base_layer.weight for n, m in lora_modules(model)}
        ctx = model.disable_adapter
    else:
        params = dict(model.named_parameters())
        targets = {n: params[n] for n in trainable_names(model, cfg)}
        ctx = contextlib.nullcontext
    was = {n: p.requires_grad for n, p in targets.items()}
    for p in targets.values():
        p.requires_grad_(True)
    fisher = {n: torch.zeros_like(p) for n, p in targets.items()}
    bs, n = cfg["batch_size"], len(data.train)
    nb = min(8, math.ceil(n / bs))
    with ctx():
        for i in range(nb):
            b = data.batch("train", [((i * bs + j) % n, 0) for j in range(bs)], device)
            logits = model(input_features=b["input_features"], decoder_input_ids=b["decoder_input_ids"]).logits.float()
            loss = F.cross_entropy(logits.flatten(0, 1), b["labels"].flatten(), ignore_index=IGNORE)
            grads = torch.autograd.grad(loss, list(targets.values()))
            for (name, _), g in zip(targets.items(), grads):
                fisher[name] += g.detach() ** 2 / nb
    for name, p in targets.items():
        p.requires_grad_(was[name])
    return fisher


class Teacher:
    """The base model for distillation targets and the frozen encoder."""

    def __init__(self, model, cfg, device):
        if cfg["method"] == "lora":
            self.model, self.context = model, model.disable_adapter
        elif cfg["regularizer"] == "distill" and cfg["reg_weight"] > 0:
            # The weights themselves train: distillation needs a frozen copy of the base (2x memory).
            self.model, self.context = copy.deepcopy(model).to(device).eval().requires_grad_(False), contextlib.nullcontext
        else:
            # Only the frozen encoder and the base general-set loss (before any step) are asked for.
            self.model, self.context = model, contextlib.nullcontext

    def encoder(self, feats):
        with self.context():
            return self.model.get_encoder()(feats).last_hidden_state


# ---- validation (validate.ts) -------------------------------------------------------------------

def count_term(text, term):
    return len(re.findall(r"(?<![^\W_])" + re.escape(term) + r"(?![^\W_])", text))


@torch.no_grad()
def mean_loss(model, data, clips_split, idxs, device, ctx=contextlib.nullcontext):
    total, count = 0.0, 0
    with ctx():
        for i in range(0, len(idxs), 8):
            b = data.batch(clips_split, [(j, 0) for j in idxs[i:i + 8]], device)
            logits = model(input_features=b["input_features"], decoder_input_ids=b["decoder_input_ids"]).logits.float()
            total += float(F.cross_entropy(logits.flatten(0, 1), b["labels"].flatten(), ignore_index=IGNORE, reduction="sum"))
            count += int((b["labels"] != IGNORE).sum())
    return total / count if count else float("nan")


@torch.no_grad()
def validate(model, data, cfg, device, is_multilingual):
    val = mean_loss(model, data, "validation", list(range(len(data.validation))), device)
    general = mean_loss(model, data, "general", list(range(len(data.general))), device) if data.general else None
    terms = cfg["terms"]
    lp_sum, lp_n, wanted, found = 0.0, 0, 0, 0
    for i, clip in enumerate(data.validation):
        if not any(count_term(clip["text"], t) for t in terms):
            continue
        b = data.batch("validation", [(i, 0)], device)
        logp = F.log_softmax(model(input_features=b["input_features"], decoder_input_ids=b["decoder_input_ids"]).logits.float()[0], -1)
        ids = data.text_ids(clip["text"])
        start = len(data.prefix) - 1  # the position that predicts the first text token
        tok_lp = [float(logp[start + k, t]) for k, t in enumerate(ids)]
        text = data.tok.decode(ids)
        ends = [len(data.tok.decode(ids[:k + 1])) for k in range(len(ids))]
        spans = list(zip([0] + ends[:-1], ends))
        for term in terms:  # probe.ts termAggregates: every case-sensitive occurrence
            at = text.find(term)
            while at != -1:
                idx = [k for k, (a, z) in enumerate(spans) if a < at + len(term) and z > at]
                if idx:
                    lp_sum += sum(tok_lp[k] for k in idx) / len(idx)
                    lp_n += 1
                at = text.find(term, at + len(term))
        if cfg["eval_decode"]:
            kw = {"language": cfg["language"] or "en", "task": "transcribe"} if is_multilingual else {}
            gen = model.generate(input_features=b["input_features"], max_new_tokens=min(96, len(ids) * 2 + 8), **kw)
            hyp = data.tok.decode(gen[0], skip_special_tokens=True)
            for t in terms:
                want = count_term(clip["text"], t)
                wanted += want
                found += min(want, count_term(hyp, t))
    return {"valLoss": val, "termLogprob": lp_sum / lp_n if lp_n else None, "termRecall": found / wanted if cfg["eval_decode"] and wanted else None, "generalLoss": general}


# ---- saving -------------------------------------------------------------------------------------

def save_model(model, cfg, out, fe, tok):
    """LoRA: PEFT adapter (adapter_config.json + adapter_model.safetensors); else a full HF folder."""
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    if cfg["method"] != "lora":
        fe.save_pretrained(out)
        tok.save_pretrained(out)


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(tmp, path)
