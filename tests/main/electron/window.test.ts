/**
 * Main-process security, with a hand-made stand-in for the `electron` module (the Electron binary
 * cannot be installed here). The code under test takes the module as a parameter, so these are
 * the real functions main.ts runs, fed the same calls Electron would make.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createWindow, isOwnPage } from '../../../src-main/electron/window.ts';
import { APP_INDEX } from '../../../src-main/electron/app-protocol.ts';
import { handleCall, registerIpc } from '../../../src-main/electron/register.ts';
import { API_CHANNELS, type Handlers } from '../../../src-main/ipc/contract.ts';
import type { ElectronLike, IpcMainInvokeEventLike, PermissionDetails, WebContentsLike } from '../../../src-main/electron/electron-like.ts';

const RENDERER = path.resolve('/opt/vocab-tuner/dist-renderer');
const OWN = APP_INDEX;

function fakeElectron() {
  const rec = {
    windowOpts: null as any,
    navHandlers: {} as Record<string, (e: { preventDefault(): void; url: string }, url: string) => void>,
    openHandler: null as null | ((d: { url: string }) => { action: string }),
    permRequest: null as any,
    permCheck: null as any,
    headers: null as any,
    loaded: '' as string,
    ipc: new Map<string, (e: IpcMainInvokeEventLike, ...a: unknown[]) => Promise<unknown>>(),
  };
  const wc: WebContentsLike = {
    id: 7,
    on: (ev, fn) => void (rec.navHandlers[ev] = fn),
    setWindowOpenHandler: (fn) => void (rec.openHandler = fn),
    send: () => {},
    getURL: () => OWN,
    isDestroyed: () => false,
  };
  const electron: ElectronLike = {
    BrowserWindow: class {
      webContents = wc;
      constructor(o: unknown) {
        rec.windowOpts = o;
      }
      loadURL = async (u: string) => void (rec.loaded = u);
      loadFile = async (f: string) => void (rec.loaded = f);
      once() {}
      show() {}
      isMinimized = () => false;
      restore() {}
      focus() {}
    } as unknown as ElectronLike['BrowserWindow'],
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn) => void (rec.permRequest = fn),
        setPermissionCheckHandler: (fn) => void (rec.permCheck = fn),
        webRequest: { onHeadersReceived: (fn) => void (rec.headers = fn) },
      },
    },
    ipcMain: { handle: (ch, fn) => void rec.ipc.set(ch, fn), removeHandler: (ch) => void rec.ipc.delete(ch) },
  };
  return { electron, rec, wc };
}

test('the window is created with every security setting on', () => {
  const { electron, rec } = fakeElectron();
  createWindow(electron, { rendererDir: RENDERER, preload: '/opt/vocab-tuner/dist-electron/preload.cjs' });
  const w = rec.windowOpts.webPreferences;
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.webviewTag, false);
  assert.equal(w.experimentalFeatures, false);
  assert.equal(w.navigateOnDragDrop, false);
  assert.equal(w.preload, '/opt/vocab-tuner/dist-electron/preload.cjs');
  assert.equal(rec.loaded, 'app://vocab-tuner/index.html', 'the page comes from the app:// scheme, not file://');
  let got: any;
  rec.headers({ url: OWN, responseHeaders: { 'X-A': ['1'] } }, (r: unknown) => (got = r));
  const csp = got.responseHeaders['Content-Security-Policy'][0] as string;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/, 'no unsafe-inline or unsafe-eval for scripts');
  assert.doesNotMatch(csp, /unsafe-eval/);
  assert.deepEqual(got.responseHeaders['X-A'], ['1']);
});

test('navigation to another origin is prevented; window.open is denied', () => {
  const { electron, rec } = fakeElectron();
  const opened: string[] = [];
  createWindow(electron, { rendererDir: RENDERER, preload: 'p', openExternal: (u) => opened.push(u) });
  for (const ev of ['will-navigate', 'will-redirect']) {
    for (const url of ['https://evil.example/', 'file:///etc/passwd', `${pathToFileURL(RENDERER).href}/../secret.html`, 'http://127.0.0.1:8080/']) {
      let prevented = false;
      rec.navHandlers[ev]({ preventDefault: () => (prevented = true), url }, url);
      assert.equal(prevented, true, `${ev} to ${url} must be prevented`);
    }
    let prevented = false;
    rec.navHandlers[ev]({ preventDefault: () => (prevented = true), url: OWN }, OWN);
    assert.equal(prevented, false, 'reloading our own page is allowed');
  }
  assert.deepEqual(rec.openHandler!({ url: 'https://github.com/x' }), { action: 'deny' });
  assert.deepEqual(rec.openHandler!({ url: 'javascript:alert(1)' }), { action: 'deny' });
  assert.deepEqual(rec.openHandler!({ url: OWN }), { action: 'deny' });
  assert.deepEqual(opened, ['https://github.com/x'], 'https links go to the system browser, nothing else does');
});

test('permissions: only the microphone, only for our own page', () => {
  const { electron, rec, wc } = fakeElectron();
  createWindow(electron, { rendererDir: RENDERER, preload: 'p' });
  const request = (permission: string, d: PermissionDetails) => {
    let granted: boolean | undefined;
    rec.permRequest(wc, permission, (g: boolean) => (granted = g), d);
    return granted;
  };
  assert.equal(request('media', { requestingUrl: OWN, mediaTypes: ['audio'] }), true);
  assert.equal(request('media', { requestingUrl: OWN, mediaTypes: ['video'] }), false, 'no camera');
  assert.equal(request('media', { requestingUrl: OWN, mediaTypes: ['audio', 'video'] }), false);
  assert.equal(request('media', { requestingUrl: OWN, mediaTypes: [] }), false);
  assert.equal(request('media', { requestingUrl: 'https://evil.example/', mediaTypes: ['audio'] }), false, 'not for other origins');
  for (const p of ['notifications', 'geolocation', 'clipboard-read', 'hid', 'openExternal', 'display-capture']) assert.equal(request(p, { requestingUrl: OWN }), false, p);
  assert.equal(rec.permCheck(wc, 'media', 'file:///', { requestingUrl: OWN, mediaType: 'audio' }), true);
  assert.equal(rec.permCheck(wc, 'media', 'file:///', { requestingUrl: OWN, mediaType: 'video' }), false);
  assert.equal(rec.permCheck(wc, 'media', 'https://evil.example', { requestingUrl: 'https://evil.example/', mediaType: 'audio' }), false);
  assert.equal(rec.permCheck(wc, 'notifications', 'file:///', { requestingUrl: OWN }), false);
});

test('isOwnPage accepts only the app:// origin — no file:// URL, not even the renderer folder', () => {
  assert.equal(isOwnPage(OWN, RENDERER), true);
  assert.equal(isOwnPage(OWN + '#/record', RENDERER), true);
  assert.equal(isOwnPage('app://vocab-tuner/assets/x.js', RENDERER), true);
  assert.equal(isOwnPage(pathToFileURL(path.join(RENDERER, 'index.html')).href, RENDERER), false);
  assert.equal(isOwnPage(pathToFileURL(RENDERER + '-evil/index.html').href, RENDERER), false);
  assert.equal(isOwnPage('app://evil/index.html', RENDERER), false);
  assert.equal(isOwnPage('app://user@vocab-tuner/index.html', RENDERER), false);
  assert.equal(isOwnPage('not a url', RENDERER), false);
  assert.equal(isOwnPage(undefined, RENDERER), false);
});

test('IPC: every contract channel is registered; unknown senders are refused; invalid payloads get INVALID_ARGUMENT', async () => {
  const { electron, rec, wc } = fakeElectron();
  const ran: number[] = [];
  const handlers = { 'terms.remove': async (id: number) => void ran.push(id) } as unknown as Handlers;
  const opts = { rendererDir: RENDERER, isKnownSender: (id: number) => id === wc.id };
  const unregister = registerIpc(electron, handlers, opts);
  assert.deepEqual([...rec.ipc.keys()].sort(), API_CHANNELS.map((c) => `vt:${c}`).sort());
  const call = rec.ipc.get('vt:terms.remove')!;
  const ok = { sender: wc, senderFrame: { url: OWN, parent: null } };
  assert.deepEqual(await call(ok, 5), { ok: true, value: null });
  const forbidden = [
    { sender: { ...wc, id: 99 }, senderFrame: { url: OWN, parent: null } }, // another webContents
    { sender: wc, senderFrame: { url: OWN, parent: {} } }, // a subframe
    { sender: wc, senderFrame: { url: 'https://evil.example/', parent: null } }, // navigated away
    { sender: wc, senderFrame: null }, // frame already gone
  ];
  for (const e of forbidden) assert.equal(((await call(e, 5)) as any).error.code, 'FORBIDDEN');
  assert.equal(((await call(ok, '5; DROP TABLE')) as any).error.code, 'INVALID_ARGUMENT');
  assert.equal(((await call(ok)) as any).error.code, 'INVALID_ARGUMENT');
  assert.equal(((await handleCall(handlers, opts, ok, 'fs.read', [])) as any).error.code, 'UNKNOWN_CHANNEL');
  assert.deepEqual(ran, [5], 'only the one valid call from our page reached the handler');
  unregister();
  assert.equal(rec.ipc.size, 0);
});
