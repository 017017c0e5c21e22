"""
Runs whisper_ref.py forward on given inputs and writes the outputs as raw little-endian float32,
so tests/bench/torch-reference.test.ts can compare them with the tfjs model on the same weights:
that is what makes the PyTorch timings a reference for the same computation.

  python3 bench/torch/forward_ref.py --checkpoint DIR --mel mel.f32 --tokens 50258,50259,... --out DIR

Writes encoder_out.f32 [1, nAudioCtx, D], logits.f32 [1, T, V] (teacher-forced, no cache) and
cached_logits.f32 [T - 1, V]: the last-position logits after feeding the first two tokens, then
one token at a time with the KV cache (the path the greedy benchmark times).
"""
import argparse
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the sources in the repo or the bundle
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from whisper_ref import build  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--checkpoint', required=True)
p.add_argument('--mel', required=True, help='float32 [1, nMels, 2·nAudioCtx], little-endian')
p.add_argument('--tokens', required=True)
p.add_argument('--out', required=True)
args = p.parse_args()

torch.set_num_threads(max(1, os.cpu_count() or 1))
model = build(checkpoint=args.checkpoint).eval()
d = model.dims
with open(args.mel, 'rb') as f:
    mel = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(1, d['n_mels'], 2 * d['n_audio_ctx'])
tokens = torch.tensor([[int(x) for x in args.tokens.split(',')]])


def write(name, t):
    with open(os.path.join(args.out, name), 'wb') as f:
        f.write(t.detach().contiguous().float().numpy().tobytes())


with torch.no_grad():
    audio = model.encode(mel)
    write('encoder_out.f32', audio)
    write('logits.f32', model.decode_full(tokens, audio))
    cache = {}
    steps = [model.decode_step(tokens[:, :2], audio, cache)]
    for i in range(2, tokens.shape[1]):
        steps.append(model.decode_step(tokens[:, i:i + 1], audio, cache))
    write('cached_logits.f32', torch.cat(steps, dim=0))
print(f'dims {d}', file=sys.stderr)
