/**
 * @file Binds the API to Electron's IPC: one `ipcMain.handle` per contract channel, each call
 * checked for its sender (our window's main frame on our own page, nothing else), then validated
 * and dispatched exactly as the WebSocket server does. Results are always `IpcResult`s.
 */
import { API_CHANNELS, type Handlers, type IpcResult } from '../ipc/contract.ts';
import { dispatch } from '../ipc/dispatch.ts';
import type { ElectronLike, IpcMainInvokeEventLike } from './electron-like.ts';
import { isOwnPage } from './window.ts';

export const IPC_PREFIX = 'vt:';

/** `isKnownSender`: the webContents ids of our windows (Fiddle's BrowserWindow.fromWebContents). */
export function registerIpc(electron: ElectronLike, handlers: Handlers, opts: { rendererDir: string; isKnownSender: (webContentsId: number) => boolean }): () => void {
  for (const channel of API_CHANNELS) {
    electron.ipcMain.handle(IPC_PREFIX + channel, (e, ...args) => handleCall(handlers, opts, e, channel, args));
  }
  return () => {
    for (const channel of API_CHANNELS) electron.ipcMain.removeHandler(IPC_PREFIX + channel);
  };
}

export async function handleCall(
  handlers: Handlers,
  opts: { rendererDir: string; isKnownSender: (webContentsId: number) => boolean },
  e: IpcMainInvokeEventLike,
  channel: string,
  args: unknown[],
): Promise<IpcResult<unknown>> {
  const frame = e.senderFrame;
  // A subframe, another window, or a page that navigated elsewhere never reaches a handler.
  if (!opts.isKnownSender(e.sender.id) || !frame || frame.parent !== null || !isOwnPage(frame.url, opts.rendererDir)) {
    return { ok: false, error: { code: 'FORBIDDEN', message: 'This call did not come from the Vocab Tuner window and was refused.' } };
  }
  return dispatch(handlers, channel, args);
}
