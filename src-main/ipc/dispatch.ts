/**
 * @file One API call from an untrusted caller → an `IpcResult`. Shared by the Electron IPC
 * registration and the WebSocket server, so both transports validate and report errors the same
 * way. Nothing is thrown across the boundary: Electron would keep only `message`, and a WebSocket
 * cannot carry an exception at all.
 */
import type { Handlers, IpcError, IpcResult } from './contract.ts';
import { isChannel, validateCall } from './validate.ts';

export async function dispatch(handlers: Handlers, channel: unknown, args: unknown): Promise<IpcResult<unknown>> {
  if (!isChannel(channel)) return { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `"${String(channel).slice(0, 80)}" is not an API channel.` } };
  if (!Array.isArray(args)) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `${channel}: arguments must be an array.` } };
  const problem = validateCall(channel, args);
  if (problem) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `${problem}.` } };
  try {
    const fn = handlers[channel] as (...a: unknown[]) => unknown;
    const value = await fn(...args);
    return { ok: true, value: value === undefined ? null : value };
  } catch (e) {
    return { ok: false, error: toIpcError(e) };
  }
}

/** UserError-like errors keep their code and sentence; anything else is an internal bug. */
export function toIpcError(e: unknown): IpcError {
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return { code, message };
  if (process.env.VOCAB_TUNER_DEBUG) console.error(e);
  return { code: 'INTERNAL', message: `Internal error: ${message}. This is a bug; please report it with the steps that led here.` };
}
