/**
 * Errors that reach a user carry a stable code and a sentence that says what to do. Internal bugs
 * keep their stack (behind VOCAB_TUNER_DEBUG) so they can be reported.
 */
export class UserError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function errorCode(e: unknown): string {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'string' ? c : 'INTERNAL';
}

export function formatError(e: unknown): string {
  const code = errorCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  const debug = process.env.VOCAB_TUNER_DEBUG && e instanceof Error ? `\n${e.stack}` : '';
  return `error [${code}]: ${msg}${debug}`;
}

/**
 * Any error → the `{ code, message }` that crosses a process boundary (the API's IpcError, a job's
 * failure). UserError-like errors keep their code and sentence; anything else is an internal bug.
 */
export function toIpcError(e: unknown): { code: string; message: string } {
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return { code, message };
  if (process.env.VOCAB_TUNER_DEBUG) console.error(e);
  return { code: 'INTERNAL', message: `Internal error: ${message}. This is a bug; please report it with the steps that led here.` };
}
