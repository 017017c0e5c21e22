/**
 * @file One API call from an untrusted caller → an `IpcResult`. Shared by the Electron IPC
 * registration and the WebSocket server, so both transports validate and report errors the same
 * way. Nothing is thrown across the boundary: Electron would keep only `message`, and a WebSocket
 * cannot carry an exception at all.
 */
import { toIpcError } from '../util/errors.ts';
import type { Handlers, IpcResult } from './contract.ts';
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
