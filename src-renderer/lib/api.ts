/**
 * @file The renderer's only door to the back end. In Electron the preload provides `window.api`;
 * in a browser (`vocab-tuner serve`) a WebSocket client with the URL's token does. Components call
 * `call(...)`, which returns the value or throws an `ApiError` carrying the code and sentence.
 */
import type { ApiArgs, ApiClient, ApiResult, Channel, EventName, Events, IpcError } from '../../src-main/ipc/contract.ts';
import { connectWs } from './ws-client.ts';

declare global {
  interface Window {
    api?: ApiClient;
  }
}

export class ApiError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function chooseTransport(): ApiClient {
  if (window.api) return window.api;
  const token = new URLSearchParams(location.search).get('token');
  if (!token) {
    const missing: IpcError = { code: 'NO_TOKEN', message: 'This page was opened without its access token. Open the full URL that `vocab-tuner serve` printed (it ends in ?token=…).' };
    return { invoke: async () => ({ ok: false, error: missing }), on: () => () => {} };
  }
  return connectWs(token);
}

export const api: ApiClient = chooseTransport();

export async function call<K extends Channel>(channel: K, ...args: ApiArgs<K>): Promise<ApiResult<K>> {
  const r = await api.invoke(channel, ...args);
  if (!r.ok) throw new ApiError(r.error.code, r.error.message);
  return r.value;
}

export function on<E extends EventName>(event: E, fn: (payload: Events[E]) => void): () => void {
  return api.on(event, fn);
}

/** A sentence for any error a component caught. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
