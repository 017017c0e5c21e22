/**
 * @file JSON encoding of API messages for the WebSocket transport. Electron's IPC clones typed
 * arrays natively; JSON does not, so `Float32Array` and `Uint8Array` travel as tagged base64.
 * Pure and runtime-neutral (Node 20 and browsers both have btoa/atob): the renderer's WebSocket
 * client and the server import this same file.
 */

type Tagged = { $f32: string } | { $u8: string };

function toBase64(bytes: Uint8Array): string {
  let s = '';
  // Chunked: String.fromCharCode(...bigArray) overflows the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Node's Buffer when present: native base64, so a 48 MiB import decodes without blocking the loop. */
const NodeBuffer = (globalThis as { Buffer?: { from(s: string, enc: 'base64'): Uint8Array } }).Buffer;

function fromBase64(b64: string): Uint8Array {
  if (NodeBuffer) {
    // Buffer.from skips characters outside the alphabet where atob throws (a regex over 64 MiB
    // would cost 100 ms of loop time); garbage then fails as audio or as a float array's length.
    if (b64.length % 4 !== 0) throw new Error('malformed base64 on the wire');
    const b = NodeBuffer.from(b64, 'base64');
    // A copy with its own ArrayBuffer: Buffer's may be a shared pool slice, and Float32Array
    // views below need offset 0.
    return new Uint8Array(b);
  }
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function encodeBase64(bytes: Uint8Array): string {
  const B = (globalThis as { Buffer?: { from(b: ArrayBufferLike, o: number, l: number): { toString(enc: 'base64'): string } } }).Buffer;
  return B ? B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : toBase64(bytes);
}

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Float32Array) return { $f32: encodeBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    if (v instanceof Uint8Array) return { $u8: encodeBase64(v) };
    return v;
  });
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && typeof (v as Record<string, unknown>)[keys[0]] === 'string') {
        const t = v as Tagged;
        if ('$f32' in t) {
          const b = fromBase64(t.$f32);
          if (b.length % 4 !== 0) throw new Error('malformed Float32Array on the wire');
          return new Float32Array(b.buffer, 0, b.length / 4);
        }
        if ('$u8' in t) return fromBase64(t.$u8);
      }
    }
    return v;
  });
}

/** Client → server: one call. Server → client: its result, or an event. */
export type WireRequest = { id: number; channel: string; args: unknown[] };
export type WireMessage = { id: number; result: unknown } | { event: string; payload: unknown };
