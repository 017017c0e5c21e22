/**
 * @file The preload: builds `window.api` from the contract's channel lists and nothing else.
 * Never exposes ipcRenderer; a channel or event outside the lists throws before any IPC happens.
 * Sandboxed preloads can only require 'electron', so this file is bundled (with the contract's
 * two lists inlined) by scripts/build-electron.mjs into dist-electron/preload.cjs.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_CHANNELS, EVENT_CHANNELS, type ApiClient } from '../ipc/contract.ts';

const channels = new Set<string>(API_CHANNELS);
const events = new Set<string>(EVENT_CHANNELS);

const api: ApiClient = {
  invoke(channel, ...args) {
    if (!channels.has(channel)) return Promise.reject(new Error(`Unsupported API channel '${String(channel)}'`));
    return ipcRenderer.invoke(`vt:${channel}`, ...args);
  },
  on(event, fn) {
    if (!events.has(event)) throw new Error(`Unsupported event '${String(event)}'`);
    // Only the payload crosses: the IPC event object (with its sender) stays in the preload.
    const listener = (_e: IpcRendererEvent, payload: unknown) => fn(payload as never);
    ipcRenderer.on(`vt-event:${event}`, listener);
    return () => {
      ipcRenderer.removeListener(`vt-event:${event}`, listener);
    };
  },
};

contextBridge.exposeInMainWorld('api', api);
