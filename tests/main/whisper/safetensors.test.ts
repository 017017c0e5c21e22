import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  f32ToBf16Bits,
  f32ToF16Bits,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from '../../../src-main/whisper/safetensors.ts';
import { CheckpointError } from '../../../src-main/whisper/checkpoint-error.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixture = path.resolve(repoRoot, '../shared/reference/models/whisper-micro-en');
const skipShared = !existsSync(fixture) && 'needs ../shared/reference (not in a fresh clone)';

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'vt-st-'));
}

/** Builds a safetensors file by hand from a header object and a data buffer. */
function handMade(file: string, header: object, data: Uint8Array): void {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, json, data]));
}

test('writes and reads back F32, F16 and BF16 tensors, header padded to 8, Rust order', async () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'a.safetensors');
    const values = new Float32Array([0, 1, -2.5, 65504, 1e-8, 3.14159, -0, 0.1]);
    await writeSafetensors(file, new Map([
      ['z.f32', { shape: [2, 4], data: values }],
      ['a.f16', { shape: [8], data: values, dtype: 'F16' as const }],
      ['b.bf16', { shape: [4, 2], data: () => values, dtype: 'BF16' as const }],
      ['m.f32', { shape: [], data: new Float32Array([7]) }],
      ['e.f32', { shape: [0, 3], data: new Float32Array(0) }],
    ]));
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const header = await readSafetensorsHeader(file);
    assert.deepEqual(header.metadata, { format: 'pt' });
    // Descending dtype (F32 > BF16 > F16), then by name.
    assert.deepEqual(header.tensors.filter((t) => t.end > t.begin).map((t) => t.name), ['m.f32', 'z.f32', 'b.bf16', 'a.f16']);
    const got = await readSafetensors(file);
    assert.deepEqual([...got.get('z.f32')!.data], [...values]);
    assert.deepEqual(got.get('z.f32')!.shape, [2, 4]);
    assert.deepEqual([...got.get('m.f32')!.data], [7]);
    assert.equal(got.get('e.f32')!.data.length, 0);
    const f16 = got.get('a.f16')!.data;
    assert.equal(got.get('a.f16')!.dtype, 'F16');
    assert.equal(f16[3], 65504);
    assert.equal(f16[2], -2.5);
    assert.ok(Math.abs(f16[5] - 3.14159) < 2e-3);
    assert.ok(Math.abs(f16[4] - 1e-8) < 6e-8); // subnormal in half precision
    const bf = got.get('b.bf16')!.data;
    assert.equal(bf[2], -2.5);
    assert.ok(Math.abs(bf[5] - 3.14159) < 2e-2);
    // names filter reads only what is asked for.
    assert.deepEqual([...(await readSafetensors(file, { names: ['a.f16', 'nope'] })).keys()], ['a.f16']);
    // Atomic write leaves no temporary file behind.
    assert.deepEqual(readdirSync(dir), ['a.safetensors']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('float16 and bfloat16 rounding is round-to-nearest-even with overflow to infinity', () => {
  const x = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, -70000, NaN, 2 ** -25, 2 ** -24]);
  const h = f32ToF16Bits(x);
  assert.equal(h[0], 0x3c00); // tie → even (down)
  assert.equal(h[1], 0x3c02); // tie → even (up)
  assert.equal(h[2], 0x7c00);
  assert.equal(h[3], 0xfc00);
  assert.equal(h[4] & 0x7c00, 0x7c00);
  assert.ok((h[4] & 0x3ff) !== 0);
  assert.equal(h[5], 0); // exactly half the smallest subnormal: tie → 0
  assert.equal(h[6], 1);
  const b = f32ToBf16Bits(new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, NaN]));
  assert.equal(b[0], 0x3f80);
  assert.equal(b[1], 0x3f82);
  assert.ok((b[2] & 0x7f80) === 0x7f80 && (b[2] & 0x7f) !== 0);
});

test('reads integer and float64 dtypes as numbers', async () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'ints.safetensors');
    const i64 = new BigInt64Array([-3n, 5n]);
    const f64 = new Float64Array([0.5, -1.25]);
    const u8 = new Uint8Array([1, 0, 1, 0, 0, 0, 0, 0]);
    const data = Buffer.concat([Buffer.from(f64.buffer), Buffer.from(i64.buffer), Buffer.from(u8)]);
    handMade(file, {
      __metadata__: { format: 'pt' },
      d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      i: { dtype: 'I64', shape: [2], data_offsets: [16, 32] },
      b: { dtype: 'BOOL', shape: [8], data_offsets: [32, 40] },
    }, data);
    const got = await readSafetensors(file);
    assert.deepEqual([...got.get('d')!.data], [0.5, -1.25]);
    assert.deepEqual([...got.get('i')!.data], [-3, 5]);
    assert.deepEqual([...got.get('b')!.data], [1, 0, 1, 0, 0, 0, 0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rejects holes, trailing bytes, duplicate-key holes and bad metadata with the file and tensor named', async () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'bad.safetensors');
    const cases: [object, number, RegExp][] = [
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8, /tensor "a".*hole/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8, /cover 4 bytes but the data buffer has 8/],
      [{ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4, /tensor "a".*needs 8/],
      [{ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4, /tensor "a".*shape/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4, /tensor "a".*data_offsets/],
      [{ __metadata__: { format: 1 }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4, /__metadata__/],
      [{ a: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, 4, /tensor "a".*not supported/],
    ];
    for (const [header, size, re] of cases) {
      handMade(file, header, new Uint8Array(size));
      await assert.rejects(readSafetensors(file), (e: unknown) => {
        assert.ok(e instanceof CheckpointError, String(e));
        assert.equal(e.code, 'CHECKPOINT_INVALID');
        assert.ok(e.message.includes(file), e.message);
        assert.match(e.message, re);
        return true;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reads the reference fixture (F32 and F16) and round-trips it bit-exactly', { skip: skipShared }, async () => {
  const f32 = await readSafetensors(path.join(fixture, 'model.safetensors'));
  const f16 = await readSafetensors(path.join(fixture + '-f16', 'model.safetensors'));
  assert.equal(f32.size, 89);
  assert.equal(f16.size, 89);
  const name = 'model.decoder.embed_tokens.weight';
  assert.deepEqual(f32.get(name)!.shape, [51864, 64]);
  // The F16 file is the F32 weights rounded to half: our own rounding must agree exactly.
  const rounded = f32ToF16Bits(f32.get(name)!.data);
  const stored = new Uint16Array(f16.get(name)!.data.length);
  f32ToF16Bits(f16.get(name)!.data, stored);
  assert.deepEqual(rounded, stored);

  const dir = tmp();
  try {
    const out = path.join(dir, 'model.safetensors');
    await writeSafetensors(out, new Map([...f32].map(([k, v]) => [k, { shape: v.shape, data: v.data }])));
    // Same order and padding as the Python writer that made the fixture → identical bytes.
    assert.ok(readFileSync(out).equals(readFileSync(path.join(fixture, 'model.safetensors'))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
