/**
 * @file The one app window, hardened: context isolation, sandbox, no Node in the page, a strict
 * CSP on every response, no navigation away and no new windows, and only the microphone granted,
 * only to our own page. Everything else a page could ask for (camera, notifications, geolocation,
 * clipboard, HID…) is refused.
 *
 * The page is loaded from the app's own scheme, `app://vocab-tuner/index.html` (app-protocol.ts
 * serves `dist-renderer/` there), so "our page" is exactly that origin — never a file:// URL, which
 * would share its origin with every file on the disk.
 */
import { contentSecurityPolicy } from '../server/security.ts';
import { APP_HOST, APP_INDEX, APP_SCHEME } from './app-protocol.ts';
import type { BrowserWindowLike, ElectronLike, PermissionDetails, WebContentsLike, WebPreferencesLike } from './electron-like.ts';

export interface WindowOptions {
  rendererDir: string;
  preload: string;
  /** Opens external links (https only) in the user's browser instead of in the app. */
  openExternal?: (url: string) => void;
}

export function webPreferences(preload: string): WebPreferencesLike {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    // A dropped file must not replace the app: the Dataset page handles drops itself.
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** True when `url` is our renderer: on the app:// origin (no other scheme, host, user or port). */
export function isOwnPage(url: string | undefined, _rendererDir?: string): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/** Microphone only: 'media' with audio (never video), from our own page. */
export function allowPermission(permission: string, details: PermissionDetails, requestingUrl: string | undefined, rendererDir: string): boolean {
  if (permission !== 'media') return false;
  if (!isOwnPage(requestingUrl ?? details.requestingUrl, rendererDir)) return false;
  if (details.mediaTypes) return details.mediaTypes.length > 0 && details.mediaTypes.every((t) => t === 'audio');
  // Permission checks (not requests) carry mediaType instead of mediaTypes.
  return details.mediaType === 'audio';
}

/** Navigation and window-opening policy, shared by every webContents we create. */
export function lockNavigation(wc: WebContentsLike, rendererDir: string, openExternal?: (url: string) => void): void {
  const block = (e: { preventDefault(): void }, url: string) => {
    if (isOwnPage(url, rendererDir)) return; // in-app reload of our own page is fine
    e.preventDefault();
  };
  wc.on('will-navigate', block);
  wc.on('will-redirect', block);
  wc.setWindowOpenHandler(({ url }) => {
    if (openExternal && /^https:\/\//.test(url)) openExternal(url);
    return { action: 'deny' };
  });
}

export function createWindow(electron: ElectronLike, opts: WindowOptions): BrowserWindowLike {
  const ses = electron.session.defaultSession;
  ses.setPermissionRequestHandler((wc, permission, cb, details) => cb(allowPermission(permission, details, details.requestingUrl ?? wc?.getURL(), opts.rendererDir)));
  ses.setPermissionCheckHandler((wc, permission, origin, details) => allowPermission(permission, details, details.requestingUrl ?? wc?.getURL() ?? origin, opts.rendererDir));
  // The CSP also sits in index.html's <meta>; the header covers every response the page loads.
  ses.webRequest.onHeadersReceived((d, cb) => cb({ responseHeaders: { ...(d.responseHeaders ?? {}), 'Content-Security-Policy': [contentSecurityPolicy()] } }));

  const win = new electron.BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 880,
    minHeight: 600,
    show: false,
    title: 'Vocab Tuner',
    backgroundColor: '#1d1f23',
    webPreferences: webPreferences(opts.preload),
  });
  lockNavigation(win.webContents, opts.rendererDir, opts.openExternal);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_INDEX);
  return win;
}
