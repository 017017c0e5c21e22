"""Vocab Tuner recipe: the training data as our trainer builds it (order, augmentation, labels).

Deterministic helpers are bit-identical to src-main/util/random.ts, so the cluster run visits the
clips in the same order and draws the same augmentation as `vocab-tuner tune` with the same seed.
"""
import csv
import math
import os
import wave
from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
HOP = 160
N_FRAMES = 3000
IGNORE = -100


# ---- deterministic helpers, bit-identical to src-main/util/random.ts ---------------------------

def fnv1a(s):
    h = 0x811C9DC5
    for ch in s:
        h = ((h ^ ord(ch)) * 0x01000193) & 0xFFFFFFFF
    return h


def seed_of(*parts):
    return fnv1a("|".join(str(p) for p in parts))


def mulberry32(seed):
    state = [seed & 0xFFFFFFFF]

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def r():
        state[0] = (state[0] + 0x6D2B79F5) & 0xFFFFFFFF
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296.0

    return r


def get_lr(step, lr, warmup, total, kind, min_lr=0.0):
    """src-main/tuning/schedule.ts: warmup, then linear or cosine decay (or constant)."""
    if warmup > 0 and step < warmup:
        return lr * (step + 1) / warmup
    if kind == "constant":
        return lr
    if step >= total:
        return min_lr
    ratio = (step - warmup) / max(1, total - warmup)
    coeff = 0.5 * (1 + math.cos(math.pi * ratio)) if kind == "cosine" else 1 - ratio
    return min_lr + coeff * (lr - min_lr)


# ---- data ---------------------------------------------------------------------------------------

def read_split(data_dir, split):
    """Rows of data/<split>/metadata.csv with their 16 kHz samples (float32 in [-1, 1])."""
    meta = os.path.join(data_dir, split, "metadata.csv")
    if not os.path.exists(meta):
        return []
    rows = []
    with open(meta, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            with wave.open(os.path.join(data_dir, split, row["file_name"]), "rb") as w:
                assert w.getframerate() == SAMPLE_RATE and w.getnchannels() == 1 and w.getsampwidth() == 2, row["file_name"]
                pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
            rows.append({"id": row.get("clip_id") or f"{split}/{row['file_name']}", "text": row["transcription"], "subset": row.get("subset", ""), "samples": pcm.astype(np.float32) / 32768.0})
    return rows


def augment_wave(x, aug, seed):
    """src-main/tuning/augment.ts augmentWave (same draws; speed uses linear interpolation here)."""
    r = mulberry32(seed)
    if aug["speed"] and r() < 0.5:
        factor = 0.9 + 0.2 * r()
        n = int(round(len(x) / factor))
        x = np.interp(np.arange(n) * factor, np.arange(len(x)), x).astype(np.float32)
    else:
        x = x.copy()
    if aug["volume"] and r() < 0.5:
        x *= 10 ** ((-6 + 12 * r()) / 20)
    if aug["noise"] and r() < 0.3:
        power = float(np.mean(x.astype(np.float64) ** 2)) if len(x) else 0.0
        sigma = math.sqrt(power / 10 ** ((20 + 20 * r()) / 10))
        for i in range(0, len(x), 2):
            u, v = max(r(), 1e-12), r()
            m = math.sqrt(-2 * math.log(u))
            x[i] += sigma * m * math.cos(2 * math.pi * v)
            if i + 1 < len(x):
                x[i + 1] += sigma * m * math.sin(2 * math.pi * v)
    return np.clip(x, -1, 1)


def spec_augment(mel, content, seed):
    """augment.ts specAugment: two frequency and two time masks filled with the mel's mean."""
    r = mulberry32(seed)
    n_mels = mel.shape[0]
    mean = float(mel.mean())
    for _ in range(2):
        f = int(r() * int(n_mels * 0.15))
        f0 = int(r() * (n_mels - f))
        mel[f0:f0 + f, :content] = mean
    for _ in range(2):
        t = int(r() * int(content * 0.1))
        t0 = int(r() * max(1, content - t))
        mel[:, t0:t0 + t] = mean
    return mel


class Data:
    """Clips → log-mel features and token examples, as the trainer builds them."""

    def __init__(self, cfg, data_dir, fe, tok, is_multilingual):
        self.cfg, self.fe, self.tok = cfg, fe, tok
        self.train = read_split(data_dir, "train")
        self.validation = read_split(data_dir, "validation")
        self.general = [c for c in read_split(data_dir, "test") if c["subset"] == "general"]
        if not self.train:
            raise SystemExit(f"{data_dir}/train has no clips")
        sot = [tok.convert_tokens_to_ids("<|startoftranscript|>")]
        if is_multilingual:
            sot += [tok.convert_tokens_to_ids(f"<|{cfg['language'] or 'en'}|>"), tok.convert_tokens_to_ids("<|transcribe|>")]
        self.prefix = sot + [tok.convert_tokens_to_ids("<|notimestamps|>")]
        self.eot = tok.convert_tokens_to_ids("<|endoftext|>")
        self.orders = {}

    def text_ids(self, text):
        # Whisper writes a leading space after the prefix: " PyTorch", not "PyTorch".
        t = text.strip()
        return self.tok.encode(" " + t if t else "", add_special_tokens=False)

    def example(self, text):
        seq = self.prefix + self.text_ids(text)
        return seq, seq[1:] + [self.eot]

    def example_at(self, k):
        """The k-th example of the endless shuffled stream, as trainer.ts exampleAt."""
        n = len(self.train)
        epoch = k // n
        order = self.orders.get(epoch)
        if order is None:
            order = list(range(n))
            s = seed_of(self.cfg["seed"], "order", epoch)
            for i in range(n - 1, 0, -1):
                s = seed_of(s, i)
                j = s % (i + 1)
                order[i], order[j] = order[j], order[i]
            self.orders[epoch] = order
        idx = order[k % n]
        variants = self.cfg["augment"]["variants"]
        variant = seed_of(self.cfg["seed"], "variant", epoch, idx) % variants if variants > 1 else 0
        return idx, variant

    @lru_cache(maxsize=2048)  # ~2 GB of features at 80 mels
    def features(self, split, idx, variant):
        clip = getattr(self, split)[idx]
        wave_ = clip["samples"]
        aug = self.cfg["augment"]
        if variant > 0:
            wave_ = augment_wave(wave_, aug, seed_of(self.cfg["seed"], clip["id"], variant, "wave"))
        mel = self.fe(wave_, sampling_rate=SAMPLE_RATE, return_tensors="np").input_features[0].copy()
        if variant > 0 and aug["spec_augment"]:
            spec_augment(mel, min(N_FRAMES, math.ceil(len(wave_) / HOP)), seed_of(self.cfg["seed"], clip["id"], variant, "spec"))
        return mel

    def batch(self, split, items, device):
        """items: [(idx, variant)] → input_features [B, mels, 3000], decoder_input_ids and labels [B, T]."""
        import torch  # here, so the pure helpers above can be checked without torch installed

        clips = getattr(self, split)
        exs = [self.example(clips[i]["text"]) for i, _ in items]
        t = max(len(x) for x, _ in exs)
        ids = torch.full((len(exs), t), self.eot, dtype=torch.long)
        labels = torch.full((len(exs), t), IGNORE, dtype=torch.long)
        for b, (x, y) in enumerate(exs):
            ids[b, :len(x)] = torch.tensor(x)
            labels[b, :len(y)] = torch.tensor(y)
        feats = torch.tensor(np.stack([self.features(split, i, v) for i, v in items]))
        return {"input_features": feats.to(device), "decoder_input_ids": ids.to(device), "labels": labels.to(device)}
