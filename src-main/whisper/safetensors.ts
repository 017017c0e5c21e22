/**
 * safetensors reader and writer (format: huggingface/safetensors README "Format", Rust
 * `tensor.rs`).
 *
 *   [u64 LE N][N bytes of UTF-8 JSON, space padded][byte buffer]
 *   header: { "__metadata__"?: {string: string}, name: {dtype, shape, data_offsets: [begin, end]} }
 *
 * Checkpoints reach 3 GB (large-v3 in float32), so the file is never read into one buffer: the
 * header is read first and validated as strictly as the Rust reader does (full coverage of the
 * buffer, no holes, no overlaps, exact byte sizes), then each tensor's span is read with a
 * positioned read straight into its own array. Floats come back as Float32Array whatever the
 * stored width; integer dtypes come back as numbers in a Float32Array too (exact up to 2^24),
 * which is enough for the checkpoints this app reads.
 */
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { kindOf } from '../util/user-files.ts';
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { tempSibling } from '../util/atomic.ts';
import { invalid } from './checkpoint-error.ts';

/** Every dtype string the format defines, in the Rust enum's order (the writer sorts by it). */
export const SAFETENSORS_DTYPES = [
  'BOOL', 'F4', 'F6_E2M3', 'F6_E3M2', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F8_E4M3FNUZ',
  'F8_E5M2FNUZ', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'C64', 'F64', 'I64', 'U64',
] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];
/** The dtypes this module writes. */
export type WritableDtype = 'F32' | 'F16' | 'BF16';

const BITS: Record<SafetensorsDtype, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32,
  C64: 64, F64: 64, I64: 64, U64: 64,
};
/** Dtypes we can turn into numbers; the exotic 4/6/8-bit floats and complex are refused on read. */
const READABLE = new Set<SafetensorsDtype>([
  'F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL',
]);

/** The spec's cap on the JSON header, so a corrupt length cannot make us allocate gigabytes. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets relative to the start of the data buffer; `end` exclusive. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  /** File offset of the data buffer (8 + header length). */
  dataStart: number;
  fileSize: number;
  metadata: Record<string, string>;
  /** Sorted by offset. */
  tensors: TensorEntry[];
}

export interface LoadedTensor {
  /** The stored dtype (the data is always float32 here). */
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array;
}

export interface WritableTensor {
  shape: number[];
  /** The values, or a function producing them at write time (so huge files stream per tensor). */
  data: Float32Array | (() => Float32Array);
  /** Stored dtype; F32 when absent. */
  dtype?: WritableDtype;
}

if (endianness() !== 'LE') {
  // Typed-array views below reinterpret file bytes in host order; safetensors is little-endian.
  throw new Error('safetensors.ts assumes a little-endian host');
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number, file: string, what: string): Promise<void> {
  // One read may return fewer bytes than asked (and is capped near 2 GiB), so loop.
  const CHUNK = 1 << 30;
  let done = 0;
  while (done < into.byteLength) {
    const len = Math.min(CHUNK, into.byteLength - done);
    const { bytesRead } = await fh.read(into, done, len, position + done);
    if (bytesRead === 0) throw invalid(file, `unexpected end of file while reading ${what}`);
    done += bytesRead;
  }
}

function parseHeaderJson(bytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(file, 'the safetensors header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw invalid(file, 'the safetensors header does not start with "{" (not a safetensors file?)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(file, `the safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalid(file, 'the safetensors header is not a JSON object');
  }
  return json as Record<string, unknown>;
}

function parseEntry(name: string, raw: unknown, file: string): TensorEntry {
  const where = `tensor "${name}"`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(file, 'entry is not an object', where);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(SAFETENSORS_DTYPES as readonly string[]).includes(dtype)) {
    throw invalid(file, `unknown dtype ${JSON.stringify(dtype)}`, where);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(file, `shape ${JSON.stringify(shape)} is not a list of non-negative integers`, where);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw invalid(file, `data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 ≤ begin ≤ end`, where);
  }
  const n = numel(shape as number[]);
  const bits = n * BITS[dtype as SafetensorsDtype];
  if (!Number.isSafeInteger(bits) || bits % 8 !== 0 || offsets[1] - offsets[0] !== bits / 8) {
    throw invalid(
      file,
      `data_offsets span ${offsets[1] - offsets[0]} bytes but ${dtype} ${JSON.stringify(shape)} needs ${bits / 8}`,
      where,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}

/**
 * Opens a weights file for reading — regular files only. Non-blocking, so a FIFO in a model folder
 * fails here at once instead of waiting forever for a writer; a device (/dev/zero behind a
 * symlink) or socket is refused before a byte is read.
 */
async function openForRead(path: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw invalid(path, `cannot open the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw invalid(path, `is ${kindOf(st)}, not a regular file`);
  }
  return fh;
}

/**
 * Reads and validates the header of a safetensors file without touching the tensor data.
 * Throws CheckpointError('CHECKPOINT_INVALID') naming the file (and tensor) on any violation.
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await openForRead(path);
  try {
    return await readHeaderFrom(fh, path);
  } finally {
    await fh.close();
  }
}

async function readHeaderFrom(fh: FileHandle, file: string): Promise<SafetensorsHeader> {
  const fileSize = (await fh.stat()).size;
  if (fileSize < 8) throw invalid(file, `the file is ${fileSize} bytes, too short for a safetensors header (truncated?)`);
  const lenBytes = new Uint8Array(8);
  await readFully(fh, lenBytes, 0, file, 'the header length');
  const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw invalid(file, `the header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  const headerLength = Number(n);
  if (headerLength > fileSize - 8) {
    throw invalid(file, `the header length ${headerLength} runs past the end of the ${fileSize}-byte file (truncated?)`);
  }
  const headerBytes = new Uint8Array(headerLength);
  await readFully(fh, headerBytes, 8, file, 'the header');
  const json = parseHeaderJson(headerBytes, file);

  let metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (key === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value) ||
        !Object.values(value).every((v) => typeof v === 'string')) {
        throw invalid(file, '__metadata__ must map strings to strings');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    tensors.push(parseEntry(key, value, file));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);

  // Coverage: each tensor starts where the previous ended, and the last ends at the file's end.
  // (A duplicated JSON key silently replaces the first entry and so shows up here as a hole.)
  const bufferSize = fileSize - 8 - headerLength;
  let expected = 0;
  // Past-the-end first, over all tensors: a truncated download or one wild offset is the likelier
  // story than the hole it would also leave, and this names the tensor actually at fault.
  for (const t of tensors) {
    if (t.end > bufferSize) {
      throw invalid(file, `data_offsets [${t.begin}, ${t.end}] run past the ${bufferSize}-byte data buffer (truncated file?)`, `tensor "${t.name}"`);
    }
  }
  for (const t of tensors) {
    if (t.begin < expected) throw invalid(file, `data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (ends at ${expected})`, `tensor "${t.name}"`);
    if (t.begin > expected) throw invalid(file, `data_offsets [${t.begin}, ${t.end}] leave a hole after byte ${expected}`, `tensor "${t.name}"`);
    expected = t.end;
  }
  if (expected !== bufferSize) {
    throw invalid(file, `the tensors cover ${expected} bytes but the data buffer has ${bufferSize} (extra or missing bytes)`);
  }
  return { path: file, dataStart: 8 + headerLength, fileSize, metadata, tensors };
}

// float16 → float32 by table: 65,536 entries (256 KiB) built once, then one lookup per value.
let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (f16Table = t);
}

function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array, n: number): Float32Array {
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  switch (dtype) {
    case 'F16': {
      const src = new Uint16Array(buf, off, n);
      const out = new Float32Array(n);
      const table = halfTable();
      for (let i = 0; i < n; i++) out[i] = table[src[i]];
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits up.
      const src = new Uint16Array(buf, off, n);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
      return out;
    }
    case 'F64': return Float32Array.from(new Float64Array(buf, off, n));
    case 'I64': return Float32Array.from(new BigInt64Array(buf, off, n), Number);
    case 'U64': return Float32Array.from(new BigUint64Array(buf, off, n), Number);
    case 'I32': return Float32Array.from(new Int32Array(buf, off, n));
    case 'U32': return Float32Array.from(new Uint32Array(buf, off, n));
    case 'I16': return Float32Array.from(new Int16Array(buf, off, n));
    case 'U16': return Float32Array.from(new Uint16Array(buf, off, n));
    case 'I8': return Float32Array.from(new Int8Array(buf, off, n));
    case 'U8':
    case 'BOOL': return Float32Array.from(bytes.subarray(0, n));
    default: throw new Error(`unreachable dtype ${dtype}`);
  }
}

/**
 * Reads tensors as float32. `names` restricts which are read (names not in the file are simply
 * absent from the result; the caller decides whether that is an error).
 */
export async function readSafetensors(
  path: string,
  opts: { names?: Iterable<string> } = {},
): Promise<Map<string, LoadedTensor>> {
  const fh = await openForRead(path);
  try {
    const header = await readHeaderFrom(fh, path);
    const wanted = opts.names ? new Set(opts.names) : undefined;
    const out = new Map<string, LoadedTensor>();
    for (const t of header.tensors) {
      if (wanted && !wanted.has(t.name)) continue;
      if (!READABLE.has(t.dtype)) throw invalid(path, `dtype ${t.dtype} is not supported (use F32, F16 or BF16)`, `tensor "${t.name}"`);
      const n = numel(t.shape);
      let data: Float32Array;
      if (t.dtype === 'F32') {
        data = new Float32Array(n);
        await readFully(fh, new Uint8Array(data.buffer), header.dataStart + t.begin, path, `tensor "${t.name}"`);
      } else {
        // Aligned scratch buffer so typed-array views of 2/4/8-byte elements are legal.
        const raw = new Uint8Array(new ArrayBuffer(Math.ceil((t.end - t.begin) / 8) * 8), 0, t.end - t.begin);
        await readFully(fh, raw, header.dataStart + t.begin, path, `tensor "${t.name}"`);
        data = toFloat32(t.dtype, raw, n);
      }
      out.set(t.name, { dtype: t.dtype, shape: [...t.shape], data });
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** float32 → float16 bits, round to nearest even (as torch's `.half()`), overflow → ±Inf. */
export function f32ToF16Bits(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      // Subnormal half (or zero): shift the implicit-1 mantissa into place, rounding to even.
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = mant & ((1 << shift) - 1);
      let h = mant >>> shift;
      if (rest > half || (rest === half && h & 1)) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // may carry into the exponent: still right
      out[i] = sign | h;
    }
  }
  return out;
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i];
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

const DTYPE_RANK = new Map<string, number>(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

/**
 * Writes a safetensors file the way the Rust writer does: header padded with spaces to a multiple
 * of 8, tensors ordered by descending dtype (so F32 data stays 4-byte aligned) then by name.
 * Atomic: written to a temporary file in the same folder, fsynced, then renamed over `path`.
 * Shape shows: tensors = Map(name → { shape: number[]; data: Float32Array (row-major) | () => … }).
 */
export async function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, WritableTensor | LoadedTensor> | Record<string, WritableTensor | LoadedTensor>,
  metadata: Record<string, string> = { format: 'pt' },
): Promise<void> {
  const entries = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)).map(([name, t]) => {
    // A LoadedTensor keeps its stored dtype, so read → write round-trips F32/F16/BF16 files.
    const dtype = t.dtype ?? 'F32';
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      throw new Error(`tensor "${name}": writing ${dtype} is not supported (F32, F16 or BF16)`);
    }
    return { name, shape: t.shape, data: t.data, dtype: dtype as WritableDtype };
  });
  entries.sort((a, b) => DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)! || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const e of entries) {
    if (e.name === '__metadata__') throw new Error('"__metadata__" is not a valid tensor name');
    const bytes = numel(e.shape) * (e.dtype === 'F32' ? 4 : 2);
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // The Python/Rust writer puts __metadata__ after the tensors; matching it gives identical bytes.
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);

  const tmp = tempSibling(path);
  const fh = await open(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    let pos = 0;
    const put = async (b: Uint8Array) => {
      let done = 0;
      while (done < b.byteLength) {
        const { bytesWritten } = await fh.write(b, done, b.byteLength - done, pos + done);
        done += bytesWritten;
      }
      pos += b.byteLength;
    };
    await put(len);
    await put(json);
    for (const e of entries) {
      const data = typeof e.data === 'function' ? e.data() : e.data;
      if (data.length !== numel(e.shape)) {
        throw new Error(`tensor "${e.name}": ${data.length} values do not fill shape [${e.shape.join(', ')}]`);
      }
      if (e.dtype === 'F32') await put(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else {
        const half = e.dtype === 'F16' ? f32ToF16Bits(data) : f32ToBf16Bits(data);
        await put(new Uint8Array(half.buffer, half.byteOffset, half.byteLength));
      }
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Size in bytes a set of tensors will take in the data buffer (for shard planning and indexes). */
export function tensorBytes(t: { shape: number[]; dtype?: WritableDtype }): number {
  return numel(t.shape) * ((t.dtype ?? 'F32') === 'F32' ? 4 : 2);
}
