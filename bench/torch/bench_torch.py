"""
The PyTorch side of `npm run bench` (and of the GPU bundle): the same four measurements as
bench/whisper.ts, at the same shapes, on whisper_ref.py, with a warm-up then the median of up
to --reps runs (fewer when one run is slower than --budget allows), wall and process CPU time.

  encoder     encoder forward on one 30 s window (no grad)
  greedy      N greedy tokens after the SOT sequence with a KV cache, argmax read back each step
  decoderLora LoRA (r 8, alpha 16, dropout 0.05) on q,v of decoder self+cross attention; batch
              B x 32 tokens on a cached (random) encoder output; forward, masked mean cross-
              entropy, backward, global-norm clip at 1, AdamW (lr 1e-3, decay 0.01)
  encDecLora  the same with LoRA on the encoder's q,v too, batch 1 x 32, from the mel

JSON on stdout; progress on stderr. Threads are set before torch is imported (OMP and OpenBLAS
read them when they load): --threads N = what the wasm run uses.

  python3 bench/torch/bench_torch.py --checkpoint DIR --sot 50258,50259,50359,50363 --eot 50257
  python3 bench/torch/bench_torch.py --size tiny --quick --device cuda
"""
import argparse
import json
import os
import statistics
import sys
import time

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--checkpoint', help='Hugging Face-layout folder (as written by writeRandomCheckpoint)')
p.add_argument('--size', default='tiny', help='preset dims with random weights when no --checkpoint')
p.add_argument('--threads', type=int, default=os.cpu_count())
p.add_argument('--device', default='cpu', choices=['cpu', 'cuda', 'auto'])
p.add_argument('--reps', type=int, default=5)
p.add_argument('--budget', type=float, default=30, help='seconds of repeats per measurement after the warm-up')
p.add_argument('--quick', action='store_true', help='one run after the warm-up, 5 s budget')
p.add_argument('--sot', default=None, help='comma-separated SOT sequence (default: the multilingual English one)')
p.add_argument('--eot', type=int, default=None)
p.add_argument('--tokens', type=int, default=32, help='greedy tokens')
p.add_argument('--decoder-batches', default='8', help='comma-separated batches of the decoder-LoRA step')
p.add_argument('--only', default='encoder,greedy,decoderLora,encDecLora')
p.add_argument('--tf32', action='store_true', help='allow TF32 on CUDA (off by default: WebGPU computes in float32)')
args = p.parse_args()
if args.quick:
    args.reps, args.budget = 1, 5

threads = max(1, args.threads)
for key in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[key] = str(threads)

import torch  # noqa: E402  (after the thread variables)

sys.dont_write_bytecode = True  # no __pycache__ beside the sources in the repo or the bundle
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from platform_info import blas_info, device_info, environment  # noqa: E402
from whisper_ref import build, preset_dims  # noqa: E402

torch.set_num_threads(threads)


def log(msg):
    print(f'[torch] {msg}', file=sys.stderr, flush=True)


device = torch.device('cuda' if args.device == 'cuda' or (args.device == 'auto' and torch.cuda.is_available()) else 'cpu')
if device.type == 'cuda' and not torch.cuda.is_available():
    sys.exit('torch.cuda is not available (a CPU-only torch build, or no NVIDIA driver)')
# The same float32 arithmetic as the WebGPU side: cuDNN convolutions default to TF32 on Ampere and
# later, which would time a cheaper computation.
torch.backends.cuda.matmul.allow_tf32 = args.tf32
torch.backends.cudnn.allow_tf32 = args.tf32


def sync():
    if device.type == 'cuda':
        torch.cuda.synchronize()


def measure(fn, reps, budget):
    """One warm-up, then up to `reps` runs (as bench/whisper.ts measure): median wall and CPU s."""
    t0 = time.perf_counter()
    fn()
    sync()
    warm = time.perf_counter() - t0
    n = max(1, min(reps, int(budget // max(warm, 1e-3))))
    wall, cpu = [], []
    for _ in range(n):
        c, t = time.process_time(), time.perf_counter()
        fn()
        sync()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {'wall': statistics.median(wall), 'cpu': statistics.median(cpu), 'runs': n, 'warmup': warm}


def noise(shape, seed):
    """A fixed input in Whisper's mel range (−1 … 1); the values do not affect timings."""
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) * 2 - 1).to(device)


def bench_encoder(model):
    d = model.dims
    mel = noise((1, d['n_mels'], 2 * d['n_audio_ctx']), 7)

    def run():
        with torch.no_grad():
            model.encode(mel).sum().item()
    return measure(run, args.reps, args.budget)


def bench_greedy(model, sot):
    d = model.dims
    with torch.no_grad():
        audio = model.encode(noise((1, d['n_mels'], 2 * d['n_audio_ctx']), 7))

    def run():
        cache = {}
        feed = sot
        with torch.no_grad():
            for _ in range(args.tokens):
                logits = model.decode_step(torch.tensor([feed], device=device), audio, cache)
                feed = [int(torch.argmax(logits, dim=-1)[0].item())]  # read back each step, as the app does
    return measure(run, args.reps, args.budget)


def lora_step(model, eot, batch, n_tok, stacks):
    """One training step as bench/whisper.ts makeLoraStep; returns (step, cleanup)."""
    d = model.dims
    params = model.add_lora(stacks)
    model.train()
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    vocab = min(d['n_vocab'], 50000)
    ids = [(i * 7919 + 13) % vocab for i in range(batch * n_tok)]
    labels = [eot if (i + 1) % n_tok == 0 else ids[i + 1] for i in range(len(ids))]
    inputs = torch.tensor(ids, device=device).reshape(batch, n_tok)
    target = torch.tensor(labels, device=device).reshape(batch, n_tok)
    frozen = 'encoder' not in stacks
    audio_in = noise((batch, d['n_audio_ctx'], d['d']), 11) if frozen else noise((batch, d['n_mels'], 2 * d['n_audio_ctx']), 7)

    def step():
        opt.zero_grad(set_to_none=True)
        audio = audio_in if frozen else model.encode(audio_in)
        logits = model.decode_full(inputs, audio)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()
    return step


def main():
    out = {
        'torch': torch.__version__, 'python': sys.version.split()[0], 'threads': torch.get_num_threads(),
        'interopThreads': torch.get_num_interop_threads(), 'device': device_info(device),
        'blas': blas_info(), 'env': environment(), 'tf32': args.tf32, 'results': {}, 'errors': {}, 'reps': args.reps, 'budget': args.budget,
    }
    for w in out['blas']['warnings']:
        log(f'WARNING: {w}')
    if os.environ.get('OPENBLAS_CORETYPE') or os.environ.get('OPENBLAS_L2_SIZE'):
        log('WARNING: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set: OpenBLAS may run a slower kernel than this CPU allows')
    dims = None if args.checkpoint else preset_dims(args.size)
    log(f'loading {args.checkpoint or args.size + " (random weights)"} on {device}, {threads} threads, BLAS {out["blas"]["kind"]}')
    only = set(args.only.split(','))

    def fresh():
        return build(dims=dims, checkpoint=args.checkpoint).to(device).eval()

    model = fresh()
    out['dims'] = model.dims
    multilingual = model.dims['n_vocab'] >= 51865
    sot = [int(x) for x in args.sot.split(',')] if args.sot else ([50258, 50259, 50359, 50363] if multilingual else [50257, 50362])
    eot = args.eot if args.eot is not None else (50257 if multilingual else 50256)

    def item(name, fn):
        if name.split(':')[0] not in only:
            return
        log(name)
        try:
            out['results'][name] = fn()
        except Exception as e:  # one failing measurement (e.g. out of memory) must not lose the others
            out['errors'][name] = f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
            log(f'{name} failed: {out["errors"][name]}')
        finally:
            if device.type == 'cuda':
                torch.cuda.empty_cache()

    item('encoder', lambda: bench_encoder(model))
    item('greedy', lambda: bench_greedy(model, sot))
    out['greedyTokens'] = args.tokens
    for b in [int(x) for x in args.decoder_batches.split(',')]:
        # A fresh model per step kind: add_lora changes the model in place.
        item(f'decoderLora:{b}', lambda b=b: measure(lora_step(fresh(), eot, b, 32, ['decoder']), args.reps, args.budget))
    item('encDecLora', lambda: measure(lora_step(fresh(), eot, 1, 32, ['encoder', 'decoder']), args.reps, args.budget))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write('\n')


main()
