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
import { decodeWireLarge, tooMuchStructure } from './large-message.ts';

/** Messages above this are decoded in slices (large-message.ts) instead of in one JSON.parse. */
const LARGE = 1024 * 1024;
const TOO_COMPLEX = `more than ${LIMITS.jsonNodes.toLocaleString('en')} JSON values in one message; no API call needs that many`;

function send(ws: WebSocket, msg: WireMessage): void {
  // A client that hung up mid-call: nothing to answer, and nothing to crash on.
  if (ws.readyState === ws.OPEN) ws.send(encodeWire(msg), () => {});
}

export function serveConnection(ws: WebSocket, handlers: Handlers): void {
  let inFlight = 0;
  const recent: number[] = []; // arrival times (ms) within the last second

  // Without this listener a protocol error (bad UTF-8, oversized frame) is an unhandled 'error'
  // event and kills the server. ws itself closes the connection with the code that names the
  // fault (1007, 1009) and discards the rest of the frame; terminating here would reset the
  // socket before that close frame is sent.
  ws.on('error', () => {});

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
    // Large messages are counted without their binary payloads, in decodeWireLarge.
    if (buf.length <= LARGE && tooMuchStructure(buf, LIMITS.jsonNodes)) {
      return refuse('MESSAGE_TOO_COMPLEX', `Malformed request: ${TOO_COMPLEX}.`, peekId(buf));
    }
    inFlight++;
    void (async () => {
      let req: { id?: unknown; channel?: unknown; args?: unknown };
      try {
        req = (buf.length > LARGE ? await decodeWireLarge(buf, LIMITS.jsonNodes) : decodeWire(buf.toString('utf8'))) as typeof req;
      } catch (e) {
        if ((e as { code?: string }).code === 'MESSAGE_TOO_COMPLEX') return refuse('MESSAGE_TOO_COMPLEX', `Malformed request: ${(e as Error).message}.`, peekId(buf));
        return refuse('INVALID_ARGUMENT', `Malformed request: ${(e as Error).message}.`);
      }
      if (typeof req?.id !== 'number') return refuse('INVALID_ARGUMENT', 'Malformed request: a request needs a numeric id.');
      const id = req.id;
      try {
        send(ws, { id, result: await dispatch(handlers, req.channel, req.args) });
      } catch (e) {
        send(ws, { id, result: { ok: false, error: { code: 'INTERNAL', message: `Internal error: ${(e as Error)?.message}.` } } });
      }
    })().finally(() => inFlight--);
  });
}

/** The request id from the first bytes of an unparsed message, so a refusal can name its call. */
function peekId(buf: Buffer): number {
  const m = /"id"\s*:\s*(\d{1,15})/.exec(buf.subarray(0, 64).toString('latin1'));
  return m ? Number(m[1]) : -1;
}
