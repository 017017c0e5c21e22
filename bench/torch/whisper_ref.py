"""
A small Whisper in PyTorch, written for the benchmark from src-main/whisper/model.ts and
layers.ts (not from upstream code): the same dims, the same ops in the same order, and Hugging
Face tensor names, so a checkpoint written by writeRandomCheckpoint loads as it is.

  encoder: conv1d(k3, pad 1) + GELU, conv1d(k3, stride 2, pad 1) + GELU, + fixed sinusoids,
           pre-LN blocks (self-attention, MLP), final LayerNorm
  decoder: token + learned positions, pre-LN blocks (causal self-attention, cross-attention,
           MLP), final LayerNorm, logits through the tied token embedding (or proj_out)
  attention: q/k/v projections (k without bias), softmax(q·kᵀ/√K + mask)·v, out projection
  LoRA: y = W·x + b + (alpha/r)·B·(A·dropout(x)) on chosen projections (PEFT semantics, as
        src-main/tuning/lora.ts)

Only the Python standard library and torch: the safetensors reader below parses the format
itself (8-byte little-endian header length, JSON header, raw little-endian data), because the
`safetensors` package is not installed with Debian's python3-torch.
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

# The tfjs model masks with a large finite value, not -inf (layers.ts MASK_VALUE): same here, so
# the two compute bit-for-bit comparable scores.
MASK_VALUE = -1e9
LN_EPS = 1e-5

_DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}


def read_safetensors(path):
    """name → float32 tensor for every tensor of one .safetensors file."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == '__metadata__':
            continue
        if meta['dtype'] not in _DTYPES:
            raise ValueError(f'{path}: tensor {name} has dtype {meta["dtype"]}; only F32, F16 and BF16 are read')
        start, end = meta['data_offsets']
        # bytearray: torch.frombuffer wants a writable buffer; the copy also frees `raw` later.
        buf = bytearray(raw[base + start:base + end])
        t = torch.frombuffer(buf, dtype=_DTYPES[meta['dtype']]) if buf else torch.empty(0, dtype=_DTYPES[meta['dtype']])
        out[name] = t.reshape(meta['shape']).float()
    return out


def read_checkpoint(folder):
    """(dims, tensors) of a Hugging Face-layout Whisper folder (single file or shards + index)."""
    with open(os.path.join(folder, 'config.json')) as f:
        c = json.load(f)
    d = c['d_model']
    dims = {
        'n_mels': c['num_mel_bins'], 'n_audio_ctx': c['max_source_positions'], 'd': d,
        'n_audio_head': c['encoder_attention_heads'], 'n_audio_layer': c['encoder_layers'],
        'n_text_ctx': c['max_target_positions'], 'n_text_head': c['decoder_attention_heads'],
        'n_text_layer': c['decoder_layers'], 'n_vocab': c['vocab_size'],
        'n_audio_ffn': c.get('encoder_ffn_dim', 4 * d), 'n_text_ffn': c.get('decoder_ffn_dim', 4 * d),
    }
    single = os.path.join(folder, 'model.safetensors')
    if os.path.exists(single):
        tensors = read_safetensors(single)
    else:
        with open(os.path.join(folder, 'model.safetensors.index.json')) as f:
            files = sorted(set(json.load(f)['weight_map'].values()))
        tensors = {}
        for name in files:
            tensors.update(read_safetensors(os.path.join(folder, name)))
    return dims, tensors


def preset_dims(name):
    """The released model dims (as WHISPER_PRESETS in src-main/whisper/random-checkpoint.ts)."""
    width, heads, layers = {'micro': (64, 2, 2), 'tiny': (384, 6, 4), 'base': (512, 8, 6), 'small': (768, 12, 12),
                            'medium': (1024, 16, 24)}[name]
    return {'n_mels': 80, 'n_audio_ctx': 1500, 'd': width, 'n_audio_head': heads, 'n_audio_layer': layers,
            'n_text_ctx': 448, 'n_text_head': heads, 'n_text_layer': layers,
            'n_vocab': 51864 if name == 'micro' else 51865, 'n_audio_ffn': 4 * width, 'n_text_ffn': 4 * width}


def sinusoids(length, channels):
    """Fixed positions [length, channels]: a sin block then a cos block (src-main/whisper/sinusoids.ts)."""
    half = channels // 2
    inc = math.log(10000) / (half - 1)
    freq = torch.exp(-inc * torch.arange(half, dtype=torch.float64))
    angle = torch.arange(length, dtype=torch.float64)[:, None] * freq[None, :]
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1).float()


class Linear(nn.Module):
    """y = x·Wᵀ + b with W [out, in] (PyTorch layout), plus an optional LoRA branch."""

    def __init__(self, n_in, n_out, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        self.bias = nn.Parameter(torch.empty(n_out)) if bias else None
        self.lora_A = None
        self.lora_B = None
        self.lora_scaling = 0.0
        self.lora_dropout = 0.0

    def add_lora(self, rank, alpha, dropout, generator=None):
        n_out, n_in = self.weight.shape
        # A as kaiming_uniform(a=√5) → bound 1/√in; B zero: step 0 is the base model (lora.ts).
        bound = 1 / math.sqrt(n_in)
        a = (torch.rand(rank, n_in, generator=generator) * 2 - 1) * bound
        self.lora_A = nn.Parameter(a.to(self.weight.device))
        self.lora_B = nn.Parameter(torch.zeros(n_out, rank, device=self.weight.device))
        self.lora_scaling = alpha / rank
        self.lora_dropout = dropout

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.lora_A is not None:
            h = F.dropout(x, self.lora_dropout, self.training) if self.lora_dropout > 0 else x
            y = y + F.linear(F.linear(h, self.lora_A), self.lora_B) * self.lora_scaling
        return y


class LayerNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, LN_EPS)


def split_heads(x, n_head):
    b, t, d = x.shape
    return x.reshape(b, t, n_head, d // n_head).permute(0, 2, 1, 3)


def merge_heads(x):
    b, h, t, k = x.shape
    return x.permute(0, 2, 1, 3).reshape(b, t, h * k)


def attention(q, k, v, mask=None):
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1 / math.sqrt(q.shape[-1]))
    if mask is not None:
        scores = scores + mask
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class Attention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.q_proj = Linear(d, d)
        self.k_proj = Linear(d, d, bias=False)  # Whisper's key projection has no bias
        self.v_proj = Linear(d, d)
        self.out_proj = Linear(d, d)

    def forward(self, x, src, mask=None):
        h = self.n_head
        q, k, v = split_heads(self.q_proj(x), h), split_heads(self.k_proj(src), h), split_heads(self.v_proj(src), h)
        return self.out_proj(merge_heads(attention(q, k, v, mask)))

    def forward_self_cached(self, x, mask, cache, key):
        """Self-attention that appends this step's keys/values to cache[key] (heads split)."""
        h = self.n_head
        q, k, v = split_heads(self.q_proj(x), h), split_heads(self.k_proj(x), h), split_heads(self.v_proj(x), h)
        if key in cache:
            pk, pv = cache[key]
            k, v = torch.cat([pk, k], dim=2), torch.cat([pv, v], dim=2)
        cache[key] = (k, v)
        return self.out_proj(merge_heads(attention(q, k, v, mask)))

    def forward_cross_cached(self, x, audio, cache, key):
        """Cross-attention whose keys/values are computed from the audio once per cache."""
        h = self.n_head
        if key not in cache:
            cache[key] = (split_heads(self.k_proj(audio), h), split_heads(self.v_proj(audio), h))
        k, v = cache[key]
        return self.out_proj(merge_heads(attention(split_heads(self.q_proj(x), h), k, v)))


class EncoderLayer(nn.Module):
    def __init__(self, d, n_head, ffn):
        super().__init__()
        self.self_attn = Attention(d, n_head)
        self.self_attn_layer_norm = LayerNorm(d)
        self.fc1 = Linear(d, ffn)
        self.fc2 = Linear(ffn, d)
        self.final_layer_norm = LayerNorm(d)

    def forward(self, x):
        h = self.self_attn_layer_norm(x)
        x = x + self.self_attn(h, h)
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


class DecoderLayer(nn.Module):
    def __init__(self, d, n_head, ffn):
        super().__init__()
        self.self_attn = Attention(d, n_head)
        self.self_attn_layer_norm = LayerNorm(d)
        self.encoder_attn = Attention(d, n_head)
        self.encoder_attn_layer_norm = LayerNorm(d)
        self.fc1 = Linear(d, ffn)
        self.fc2 = Linear(ffn, d)
        self.final_layer_norm = LayerNorm(d)

    def forward(self, x, audio, mask, cache, i):
        h = self.self_attn_layer_norm(x)
        if cache is None:
            x = x + self.self_attn(h, h, mask)
        else:
            x = x + self.self_attn.forward_self_cached(h, mask, cache, ('self', i))
        h = self.encoder_attn_layer_norm(x)
        if cache is None:
            x = x + self.encoder_attn(h, audio)
        else:
            x = x + self.encoder_attn.forward_cross_cached(h, audio, cache, ('cross', i))
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


class Encoder(nn.Module):
    def __init__(self, dims):
        super().__init__()
        d = dims['d']
        self.conv1 = nn.Conv1d(dims['n_mels'], d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.embed_positions = nn.Module()
        self.embed_positions.weight = nn.Parameter(sinusoids(dims['n_audio_ctx'], d), requires_grad=False)
        self.layers = nn.ModuleList([EncoderLayer(d, dims['n_audio_head'], dims['n_audio_ffn']) for _ in range(dims['n_audio_layer'])])
        self.layer_norm = LayerNorm(d)

    def forward(self, mel):
        """mel [B, nMels, 2·nAudioCtx] → [B, nAudioCtx, D]."""
        x = F.gelu(self.conv2(F.gelu(self.conv1(mel)))).permute(0, 2, 1)
        x = x + self.embed_positions.weight
        for layer in self.layers:
            x = layer(x)
        return self.layer_norm(x)


class Decoder(nn.Module):
    def __init__(self, dims):
        super().__init__()
        d = dims['d']
        self.embed_tokens = nn.Embedding(dims['n_vocab'], d)
        self.embed_positions = nn.Embedding(dims['n_text_ctx'], d)
        self.layers = nn.ModuleList([DecoderLayer(d, dims['n_text_head'], dims['n_text_ffn']) for _ in range(dims['n_text_layer'])])
        self.layer_norm = LayerNorm(d)

    def forward(self, tokens, audio, cache=None):
        """tokens [B, T] → hidden [B, T, D]; with a cache, tokens follow cache['length'] positions."""
        t = tokens.shape[1]
        offset = cache.get('length', 0) if cache is not None else 0
        x = self.embed_tokens(tokens) + self.embed_positions.weight[offset:offset + t]
        mask = None
        if t > 1:
            # Query i sees keys 0 … offset+i (layers.ts causalMask).
            s = offset + t
            mask = torch.triu(torch.full((t, s), MASK_VALUE, device=tokens.device), diagonal=offset + 1)
        for i, layer in enumerate(self.layers):
            x = layer(x, audio, mask, cache, i)
        if cache is not None:
            cache['length'] = offset + t
        return self.layer_norm(x)


class Whisper(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = dims
        self.model = nn.Module()
        self.model.encoder = Encoder(dims)
        self.model.decoder = Decoder(dims)
        self.proj_out = None

    def encode(self, mel):
        return self.model.encoder(mel)

    def logits(self, hidden):
        w = self.proj_out.weight if self.proj_out is not None else self.model.decoder.embed_tokens.weight
        return torch.matmul(hidden, w.t())

    def decode_full(self, tokens, audio):
        """Teacher-forced decoder: tokens [B, T], audio [B, S, D] → logits [B, T, V]."""
        return self.logits(self.model.decoder(tokens, audio))

    def decode_step(self, tokens, audio, cache):
        """Incremental decoder with a KV cache (a dict); logits of the last position [B, V]."""
        return self.logits(self.model.decoder(tokens, audio, cache)[:, -1])

    def load_tensors(self, tensors):
        """Copies HF-named tensors in; proj_out only when stored (else the embedding is tied)."""
        tensors = dict(tensors)
        if 'proj_out.weight' in tensors:
            self.proj_out = nn.Module()
            self.proj_out.weight = nn.Parameter(tensors.pop('proj_out.weight'))
        tensors.setdefault('model.encoder.embed_positions.weight', self.model.encoder.embed_positions.weight.detach())
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(tensors))
        unknown = sorted(set(tensors) - set(own))
        if missing or unknown:
            raise ValueError(f'checkpoint does not match the dims: missing {missing[:5]}, unknown {unknown[:5]}')
        with torch.no_grad():
            for name, p in own.items():
                if tuple(p.shape) != tuple(tensors[name].shape):
                    raise ValueError(f'{name}: checkpoint shape {list(tensors[name].shape)}, model {list(p.shape)}')
                p.copy_(tensors[name])

    def init_random(self, seed=0):
        """Random weights in the spirit of random-checkpoint.ts (timings do not depend on them)."""
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name == 'model.encoder.embed_positions.weight':
                    continue
                if name.endswith('layer_norm.weight'):
                    p.copy_(1 + 0.02 * torch.randn(p.shape, generator=g))
                elif name.endswith('.bias'):
                    p.copy_(0.01 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.02 * torch.randn(p.shape, generator=g))

    def add_lora(self, stacks, targets=('q_proj', 'v_proj'), rank=8, alpha=16, dropout=0.05, seed=0):
        """Freezes every weight and adds LoRA to the targeted projections of the given stacks
        (decoder: self- and cross-attention; encoder: self-attention). Returns the LoRA params."""
        g = torch.Generator().manual_seed(seed)
        for p in self.parameters():
            p.requires_grad_(False)
        params = []
        for name, m in self.named_modules():
            if isinstance(m, Linear) and name.split('.')[-1] in targets and any(name.startswith(f'model.{s}.') for s in stacks):
                m.add_lora(rank, alpha, dropout, g)
                params += [m.lora_A, m.lora_B]
        if not params:
            raise ValueError(f'LoRA targets {targets} in {stacks} match no module')
        return params


def build(dims=None, checkpoint=None, seed=0):
    """A model from a checkpoint folder, or random weights at the given dims."""
    if checkpoint is not None:
        dims, tensors = read_checkpoint(checkpoint)
        model = Whisper(dims)
        model.load_tensors(tensors)
        return model
    model = Whisper(dims)
    model.init_random(seed)
    return model
