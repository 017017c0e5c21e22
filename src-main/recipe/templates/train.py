#!/usr/bin/env python3
"""Train what a Vocab Tuner run trains, with Hugging Face transformers + PEFT, on one GPU or many.

Launch with accelerate (see README.md):
    accelerate launch --config_file accelerate/single_gpu.yaml train.py --output_dir out

Everything the run chose lives in recipe.json (written by `vocab-tuner export-recipe`); this file
is the same for every run. It mirrors Vocab Tuner's trainer (src-main/tuning/trainer.ts):
  * labels in the Hugging Face convention: the decoder reads [SOT sequence, text] and predicts it
    shifted left, ending with <|endoftext|>; padding is -100 and does not count;
  * the same example order (seeded shuffle per epoch) and augmentation draws (variant 0 = clean);
  * AdamW (no decay on biases, LayerNorms and LoRA B), warmup then linear/cosine decay, clipping;
  * the loss is a mean over the labelled tokens of the whole optimizer step, on any GPU count, so
    8 GPUs train the same model as 1 (only faster);
  * regularisers: distillation to the base model (KL, the adapter disabled for the teacher pass),
    L2-SP or EWC on the effective weight change;
  * validation: loss, term log-prob, term recall from greedy decoding, the general-set guard; the
    best checkpoint by term recall then term log-prob, among those that pass the guard.
The LoRA adapter is written in PEFT's layout, which Vocab Tuner loads unchanged (--adapter).
"""
import argparse
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn.functional as F
from accelerate import Accelerator, PartialState
from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vt_data import IGNORE, Data, get_lr  # noqa: E402  (beside this file)
from vt_model import Teacher, deltas, estimate_fisher, mean_loss, save_model, trainable_names, validate, write_json  # noqa: E402


# ---- the loss -----------------------------------------------------------------------------------

def compute_loss(model, teacher, batch, cfg, encoder_frozen):
    """Sums over labelled tokens of the cross-entropy and (distillation) KL(p_base ‖ p_tuned).

    The teacher is the base model: for LoRA the same network with its adapter disabled (no second
    copy in memory), else a frozen copy of the base weights. Returns (ce_sum, kl_sum, count).
    """
    feats, ids, labels = batch["input_features"], batch["decoder_input_ids"], batch["labels"]
    if encoder_frozen:
        with torch.no_grad():
            enc = teacher.encoder(feats)
        out = model(encoder_outputs=(enc,), decoder_input_ids=ids)
    else:
        enc = None
        out = model(input_features=feats, decoder_input_ids=ids)
    logits = out.logits.float()
    mask = labels != IGNORE
    ce_sum = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE, reduction="sum")
    kl_sum = logits.new_zeros(())
    if cfg["regularizer"] == "distill" and cfg["reg_weight"] > 0:
        with torch.no_grad(), teacher.context():
            kw = {"encoder_outputs": (enc,)} if enc is not None else {"input_features": feats}
            base_logits = teacher.model(decoder_input_ids=ids, **kw).logits.float()
        lp_base = F.log_softmax(base_logits, -1)
        lp = F.log_softmax(logits, -1)
        kl_sum = ((lp_base.exp() * (lp_base - lp)).sum(-1) * mask).sum()
    return ce_sum, kl_sum, int(mask.sum())


# ---- the loop -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=os.path.join(HERE, "recipe.json"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--model", default=None, help="base model: Hub id or folder (default: recipe.json's base_model)")
    ap.add_argument("--output_dir", default=os.path.join(HERE, "out"))
    ap.add_argument("--per_device_batch", type=int, default=None, help="largest micro-batch per GPU (memory only; the result is the same)")
    ap.add_argument("--max_steps", type=int, default=None, help="stop after this many optimizer steps (a smoke test)")
    ap.add_argument("--resume", action="store_true", help="continue from output_dir/checkpoint")
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    base = args.model or cfg["base_model"]
    if not re.match(r"^[\w.-]+/[\w.-]+$", base) or os.path.isdir(os.path.join(HERE, base)):
        base = base if os.path.isabs(base) else os.path.join(HERE, base)

    # One optimizer step = batch_size × grad_accum examples across ALL processes, as on the laptop.
    state = PartialState()
    world, rank = state.num_processes, state.process_index
    per_step = cfg["batch_size"] * cfg["grad_accum"]
    per_device = args.per_device_batch or cfg["max_micro_batch"] or cfg["batch_size"]
    micro_steps = max(1, math.ceil(math.ceil(per_step / world) / per_device))
    os.environ["ACCELERATE_GRADIENT_ACCUMULATION_STEPS"] = str(micro_steps)  # DeepSpeed reads this
    acc = Accelerator(gradient_accumulation_steps=micro_steps)
    device = acc.device
    torch.manual_seed(cfg["seed"])

    fe = WhisperFeatureExtractor.from_pretrained(base)
    tok = WhisperTokenizer.from_pretrained(base)
    model = WhisperForConditionalGeneration.from_pretrained(base, dtype=torch.float32)
    is_multilingual = model.config.vocab_size >= 51865
    data = Data(cfg, args.data, fe, tok, is_multilingual)
    model.requires_grad_(False)
    base_params = {}
    if cfg["method"] == "lora":
        from peft import LoraConfig, get_peft_model

        lc = cfg["lora"]
        model = get_peft_model(model, LoraConfig(r=lc["r"], lora_alpha=lc["lora_alpha"], lora_dropout=lc["lora_dropout"], target_modules=lc["target_modules"], use_rslora=lc["use_rslora"], bias="none", init_lora_weights=True))
    else:
        params = dict(model.named_parameters())
        for n in trainable_names(model, cfg):
            params[n].requires_grad_(True)
            if cfg["regularizer"] in ("l2sp", "ewc"):
                base_params[n] = params[n].detach().clone().to(device)
    model.to(device)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    encoder_frozen = not any(".encoder." in n or n.startswith("model.encoder.") for n, _ in named)
    teacher = Teacher(model, cfg, device)
    fisher = estimate_fisher(model, cfg, data, device) if cfg["regularizer"] == "ewc" and cfg["reg_weight"] > 0 else None

    no_decay = lambda n: n.endswith(".bias") or "layer_norm" in n or "lora_B" in n
    groups = [
        {"params": [p for n, p in named if not no_decay(n)], "weight_decay": cfg["weight_decay"]},
        {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg["learning_rate"], betas=(cfg["adam_beta1"], cfg["adam_beta2"]), eps=cfg["adam_epsilon"])
    if acc.state.deepspeed_plugin is not None:
        # No DataLoader goes through prepare(), so DeepSpeed is told the micro-batch size directly.
        acc.state.deepspeed_plugin.deepspeed_config["train_micro_batch_size_per_gpu"] = per_device
    model, opt = acc.prepare(model, opt)
    raw = acc.unwrap_model(model)
    teacher.model = raw if cfg["method"] == "lora" else teacher.model

    steps_per_epoch = max(1, math.ceil(len(data.train) / per_step))
    total = cfg["max_steps"] or steps_per_epoch * cfg["epochs"]
    stop_at = min(total, args.max_steps) if args.max_steps else total
    os.makedirs(args.output_dir, exist_ok=True)
    run_file = os.path.join(args.output_dir, "run.json")
    st = {"step": 0, "history": [], "evals": [], "best": None, "badEvals": 0}
    if args.resume:
        acc.load_state(os.path.join(args.output_dir, "checkpoint"))
        with open(os.path.join(args.output_dir, "checkpoint", "state.json")) as f:
            st = json.load(f)

    base_general = None
    if acc.is_main_process and data.general:
        base_general = mean_loss(teacher.model, data, "general", list(range(len(data.general))), device, teacher.context)

    def record(status):
        if acc.is_main_process:
            write_json(run_file, {"version": 1, "trainer": "recipe/train.py", "config": cfg, "world_size": world, "micro_steps": micro_steps, "status": status, "step": st["step"], "totalSteps": total, "history": st["history"], "evals": st["evals"], "best": st["best"]})

    def evaluate(step):
        if acc.is_main_process:
            raw.eval()
            v = validate(raw, data, cfg, device, is_multilingual)
            raw.train()
            drift = v["generalLoss"] - base_general if v["generalLoss"] is not None and base_general is not None else None
            ok = drift is None or drift <= cfg["guard_max_loss_drift"]
            score = v["termRecall"] * 100 + (v["termLogprob"] or 0) / 100 if v["termRecall"] is not None else v["termLogprob"] if v["termLogprob"] is not None else -v["valLoss"]
            st["evals"].append({"step": step, "valLoss": v["valLoss"], "termLogprob": v["termLogprob"], "termRecall": v["termRecall"], "generalLossDrift": drift, "score": score, "guardOk": ok})
            print(f"eval @{step}: " + json.dumps(st["evals"][-1]), flush=True)
            if ok and (st["best"] is None or score > st["best"]["score"]):
                st["best"], st["badEvals"] = {"step": step, "score": score}, 0
                save_model(raw, cfg, os.path.join(args.output_dir, "best"), fe, tok)
            else:
                st["badEvals"] += 1
        acc.wait_for_everyone()

    model.train()
    t0 = time.time()
    if st["step"] == 0 and data.validation:
        evaluate(0)
    status = "completed"
    while st["step"] < stop_at:
        step = st["step"]
        lr = get_lr(step, cfg["learning_rate"], cfg["warmup_steps"], total, cfg["schedule"])
        for g in opt.param_groups:
            g["lr"] = lr
        items = [data.example_at(step * per_step + j) for j in range(per_step)]
        n_labelled = sum(len(data.example(data.train[i]["text"])[1]) for i, _ in items)
        shard = items[rank::world]
        chunks = [shard[k::micro_steps] for k in range(micro_steps)]
        # Every process runs micro_steps passes (collectives stay in step); an empty chunk runs one
        # example with weight 0. DDP averages over processes and accelerate divides by
        # micro_steps, so both are multiplied back: the step's loss is Σ / all labelled tokens.
        scale = world * micro_steps / n_labelled
        logged = torch.zeros((), device=device)
        grad_norm = float("nan")
        for chunk in chunks:
            weight = 1.0 if chunk else 0.0
            b = data.batch("train", chunk or items[:1], device)
            with acc.accumulate(model):
                ce_sum, kl_sum, count = compute_loss(model, teacher, b, cfg, encoder_frozen)
                loss = (ce_sum + cfg["reg_weight"] * kl_sum) * scale * weight
                part = count * weight / n_labelled
                if cfg["reg_weight"] > 0 and cfg["regularizer"] in ("l2sp", "ewc") and part > 0:
                    d = deltas(raw, cfg, base_params)
                    reg = sum(((fisher[n] * t ** 2).sum() if fisher is not None else (t ** 2).sum()) for n, t in d.items() if fisher is None or n in fisher)
                    loss = loss + cfg["reg_weight"] * reg * part * world * micro_steps
                    logged += cfg["reg_weight"] * reg.detach() * part
                logged += (ce_sum + cfg["reg_weight"] * kl_sum).detach() * weight / n_labelled
                acc.backward(loss)
                if acc.sync_gradients:
                    gn = acc.clip_grad_norm_([p for _, p in named], cfg["max_grad_norm"])  # None under DeepSpeed (it clips)
                    grad_norm = float(gn) if gn is not None else float("nan")
                opt.step()
                opt.zero_grad()
        loss_value = float(acc.reduce(logged, "sum"))
        st["step"] = step + 1
        elapsed = time.time() - t0
        st["history"].append({"step": st["step"], "loss": loss_value, "lr": lr, "gradNorm": grad_norm, "samplesPerSec": per_step * (st["step"] - step) / max(elapsed, 1e-6)})
        t0 = time.time()
        if acc.is_main_process:
            print(f"step {st['step']}/{total} loss {loss_value:.4f} lr {lr:.2e} grad_norm {grad_norm:.3f}", flush=True)
        if data.validation and (st["step"] % cfg["eval_every"] == 0 or st["step"] == total):
            evaluate(st["step"])
            if cfg["patience"] > 0 and st["badEvals"] >= cfg["patience"]:
                status = "early-stopped"
        if st["step"] % cfg["checkpoint_every"] == 0 or st["step"] == stop_at or status == "early-stopped":
            acc.save_state(os.path.join(args.output_dir, "checkpoint"))
            if acc.is_main_process:
                write_json(os.path.join(args.output_dir, "checkpoint", "state.json"), st)
            record("running")
        if status == "early-stopped":
            break
    if acc.is_main_process:
        save_model(raw, cfg, os.path.join(args.output_dir, "adapter"), fe, tok)
        if st["best"] is None:
            st["best"] = {"step": st["step"], "score": None}
            save_model(raw, cfg, os.path.join(args.output_dir, "best"), fe, tok)
    record(status if st["step"] >= total or status == "early-stopped" else "stopped")
    acc.wait_for_everyone()
    acc.end_training()


if __name__ == "__main__":
    main()
