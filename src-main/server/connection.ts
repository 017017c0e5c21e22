/**
 * @file One accepted API WebSocket: turns text frames into dispatched calls and answers them,
 * within the budgets of `ipc/limits.ts`. Everything a client can get wrong ends with an answer or
 * with this connection closed, never with an exception escaping into the serving process:
 *
 * - protocol errors (invalid UTF-8, a frame over the size limit) close only this socket, with the
 *   WebSocket close code that names the fault (1007, 1009);
 * - a message with too much JSON structure is refused before `JSON.parse` (it would block the
 *   loop for seconds);
 * - more calls in flight, or per second, than the budget are answered `BUSY` without running.
 */
import type { WebSocket } from 'ws';
import type { Handlers } from '../ipc/contract.ts';
import { dispatch } from '../ipc/dispatch.ts';
import { LIMITS } from '../ipc/limits.ts';
import { decodeWire, encodeWire, type WireMessage } from '../ipc/wire.ts';

/** Bytes that open a JSON node or could hide a costly escape: `{` `[` `,` and backslash. */
const STRUCTURAL = [0x7b, 0x5b, 0x2c, 0x5c];

/**
 * True when `buf` holds more than `limit` structural bytes. Counted with native `indexOf`, so a
 * 64 MiB message costs a few milliseconds and the count stops at the limit.
 */
export function tooMuchStructure(buf: Buffer, limit: number): boolean {
  let n = 0;
  for (const ch of STRUCTURAL) {
    for (let i = buf.indexOf(ch); i !== -1; i = buf.indexOf(ch, i + 1)) if (++n > limit) return true;
  }
  return false;
}

function send(ws: WebSocket, msg: WireMessage): void {
  // A client that hung up mid-call: nothing to answer, and nothing to crash on.
  if (ws.readyState === ws.OPEN) ws.send(encodeWire(msg), () => {});
}

export function serveConnection(ws: WebSocket, handlers: Handlers): void {
  let inFlight = 0;
  const recent: number[] = []; // arrival times (ms) within the last second

  // Without this listener a protocol error (bad UTF-8, oversized frame) is an unhandled 'error'
  // event and kills the server; ws has already sent the close frame with the right code.
  ws.on('error', () => ws.terminate());

  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    const now = Date.now();
    while (recent.length && now - recent[0] > 1000) recent.shift();
    recent.push(now);
    const refuse = (code: string, message: string, id = -1) => send(ws, { id, result: { ok: false, error: { code, message } } });
    if (recent.length > LIMITS.callsPerSecond) {
      return refuse('BUSY', `More than ${LIMITS.callsPerSecond} calls in one second on this connection; slow down and try again.`, peekId(buf));
    }
    if (inFlight >= LIMITS.inFlightPerConnection) {
      return refuse('BUSY', `${LIMITS.inFlightPerConnection} calls are already waiting for an answer on this connection; wait for them, then try again.`, peekId(buf));
    }
    if (isBinary) return refuse('INVALID_ARGUMENT', 'Malformed request: binary frames are not part of the protocol.');
    if (tooMuchStructure(buf, LIMITS.jsonNodes)) {
      return refuse('MESSAGE_TOO_COMPLEX', `Malformed request: more than ${LIMITS.jsonNodes.toLocaleString('en')} JSON values in one message; no API call needs that many.`, peekId(buf));
    }
    let req: { id?: unknown; channel?: unknown; args?: unknown };
    try {
      req = decodeWire(buf.toString('utf8')) as typeof req;
    } catch (e) {
      return refuse('INVALID_ARGUMENT', `Malformed request: ${(e as Error).message}.`);
    }
    if (typeof req?.id !== 'number') return refuse('INVALID_ARGUMENT', 'Malformed request: a request needs a numeric id.');
    const id = req.id;
    inFlight++;
    void dispatch(handlers, req.channel, req.args)
      .then((result) => send(ws, { id, result }))
      .catch((e: unknown) => send(ws, { id, result: { ok: false, error: { code: 'INTERNAL', message: `Internal error: ${(e as Error)?.message}.` } } }))
      .finally(() => inFlight--);
  });
}

/** The request id from the first bytes of an unparsed message, so a refusal can name its call. */
function peekId(buf: Buffer): number {
  const m = /"id"\s*:\s*(\d{1,15})/.exec(buf.subarray(0, 64).toString('latin1'));
  return m ? Number(m[1]) : -1;
}
