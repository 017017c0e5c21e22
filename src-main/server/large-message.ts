/**
 * @file Decoding a large API message without blocking the serving loop. A 48 MiB dropped file
 * arrives as 64 MiB of base64 inside JSON; `JSON.parse` plus the base64 decode of that take
 * 300–500 ms in one piece on a loaded machine, during which no other page gets an answer. Here the
 * big base64 strings (`{"$u8":"…"}` / `{"$f32":"…"}`, wire.ts) are cut out of the raw bytes and
 * decoded in 4 MiB slices with the loop yielding between slices; only the small JSON skeleton
 * left over is parsed in one go.
 *
 * The markers cannot occur inside a JSON string (the quotes would have to be escaped there), so
 * scanning the raw bytes for them is exact.
 */
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { decodeWire } from '../ipc/wire.ts';

/**
 * JSON left after the binary payloads are cut out. The largest real one (pre-labelling 100 000
 * clip ids) is ~0.7 MB; a 60 MB "transcript" would cost JSON.parse hundreds of milliseconds.
 */
export const MAX_SKELETON_BYTES = 2 * 1024 * 1024;
/** Base64 strings shorter than this stay in the JSON (parsing them is already cheap). */
const BIG = 256 * 1024;
/** Base64 characters decoded per slice (a multiple of 4): ~3 MiB of bytes, a few ms each. */
const SLICE = 4 * 1024 * 1024;

const MARKERS = [
  { tag: Buffer.from('{"$u8":"'), kind: 'u8' as const },
  { tag: Buffer.from('{"$f32":"'), kind: 'f32' as const },
];

/** Decodes base64 bytes `b64[start, end)` into a fresh buffer, yielding between slices. */
async function decodeBase64Sliced(buf: Buffer, start: number, end: number): Promise<ArrayBuffer> {
  const chars = end - start;
  if (chars % 4 !== 0) throw new Error('malformed base64 on the wire');
  const pad = (buf[end - 1] === 0x3d ? 1 : 0) + (buf[end - 2] === 0x3d ? 1 : 0);
  const out = new Uint8Array((chars / 4) * 3 - pad);
  let written = 0;
  for (let at = start; at < end; at += SLICE) {
    const to = Math.min(end, at + SLICE);
    const part = Buffer.from(buf.toString('latin1', at, to), 'base64');
    // Buffer.from skips characters outside the alphabet: a short slice means garbage was sent.
    if (part.length !== Math.min(out.length - written, ((to - at) / 4) * 3)) throw new Error('malformed base64 on the wire');
    out.set(part, written);
    written += part.length;
    if (to < end) await yieldLoop();
  }
  return out.buffer;
}

/** Bytes that open a JSON node or could hide a costly escape: `{` `[` `,` and backslash. */
const STRUCTURAL = [0x7b, 0x5b, 0x2c, 0x5c];

/**
 * True when `buf` holds more than `limit` structural bytes — a message of millions of tiny
 * objects, which would block the loop for seconds in JSON.parse. Counted with native `indexOf`,
 * so even 64 MiB costs a few milliseconds, and the count stops at the limit.
 */
export function tooMuchStructure(buf: Buffer, limit: number): boolean {
  let n = 0;
  for (const ch of STRUCTURAL) {
    for (let i = buf.indexOf(ch); i !== -1; i = buf.indexOf(ch, i + 1)) if (++n > limit) return true;
  }
  return false;
}

/** Replaces `{ $ref: n }` placeholders in a parsed skeleton by the decoded blobs. */
function fill(v: unknown, blobs: (Uint8Array | Float32Array)[]): unknown {
  if (Array.isArray(v)) return v.map((x) => fill(x, blobs));
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$ref' && typeof o.$ref === 'number') {
      const b = blobs[o.$ref];
      if (!b) throw new Error('malformed message');
      return b;
    }
    for (const k of keys) o[k] = fill(o[k], blobs);
  }
  return v;
}

/**
 * `decodeWire(buf.toString())`, with big binary payloads decoded in slices between loop turns.
 * The JSON left around them is refused (code MESSAGE_TOO_COMPLEX) past `maxNodes` structural bytes.
 */
export async function decodeWireLarge(buf: Buffer, maxNodes = Number.POSITIVE_INFINITY): Promise<unknown> {
  const blobs: (Uint8Array | Float32Array)[] = [];
  const pieces: Buffer[] = [];
  let last = 0;
  let pos = 0;
  for (;;) {
    let next: { at: number; tag: Buffer; kind: 'u8' | 'f32' } | null = null;
    for (const m of MARKERS) {
      const at = buf.indexOf(m.tag, pos);
      if (at !== -1 && (!next || at < next.at)) next = { at, ...m };
    }
    if (!next) break;
    const start = next.at + next.tag.length;
    const end = buf.indexOf(0x22, start); // the closing quote: base64 has none inside
    if (end === -1 || buf[end + 1] !== 0x7d) throw new Error('malformed binary value on the wire');
    pos = end + 2;
    if (end - start < BIG) continue; // small: left for JSON.parse
    const bytes = await decodeBase64Sliced(buf, start, end);
    if (next.kind === 'f32' && bytes.byteLength % 4 !== 0) throw new Error('malformed Float32Array on the wire');
    blobs.push(next.kind === 'f32' ? new Float32Array(bytes) : new Uint8Array(bytes));
    pieces.push(buf.subarray(last, next.at), Buffer.from(`{"$ref":${blobs.length - 1}}`));
    last = pos;
  }
  pieces.push(buf.subarray(last));
  const skeleton = blobs.length === 0 ? buf : Buffer.concat(pieces);
  if (skeleton.length > MAX_SKELETON_BYTES) {
    throw Object.assign(new Error(`${(skeleton.length / 1048576).toFixed(0)} MB of JSON besides binary data in one message; no API call needs more than ${MAX_SKELETON_BYTES / 1048576} MB`), { code: 'MESSAGE_TOO_COMPLEX' });
  }
  if (tooMuchStructure(skeleton, maxNodes)) {
    throw Object.assign(new Error(`more than ${maxNodes.toLocaleString('en')} JSON values in one message; no API call needs that many`), { code: 'MESSAGE_TOO_COMPLEX' });
  }
  const v = decodeWire(skeleton.toString('utf8'));
  return blobs.length === 0 ? v : fill(v, blobs);
}
