// A stand-in for the `electron` module, for running the compiled main process (dist-main/) under
// plain Node in the tests: the Electron binary cannot be downloaded on the test machines. It
// implements the slice of the API the app uses (src-main/electron/electron-like.ts), prints every
// call the app makes as a line `STAND-IN {"event": …}` on stdout, and then drives the app like a
// renderer would: it calls IPC channels from the window's own page, in the order given by
// STAND_IN_SCRIPT (JSON: [{ "call": channel, "args": [...] } | { "waitFor": event, "match": {…}, "ms": N }];
// an argument { "$file": path } is sent as that file's bytes),
// prints each result, and quits.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const log = (event, data = {}) => process.stdout.write(`STAND-IN ${JSON.stringify({ event, ...data })}\n`);
const records = [];
const waiters = [];
function record(event, data = {}) {
  records.push({ event, ...data });
  log(event, data);
  for (const w of [...waiters]) if (matches({ event, ...data }, w.event, w.match)) w.resolve();
}
/** A record is the one waited for: same event, and each key of `match` equal (as JSON). */
const matches = (r, event, match = {}) => r.event === event && Object.entries(match).every(([k, v]) => JSON.stringify(r[k]) === JSON.stringify(v));
function waitFor(event, match, ms) {
  if (records.some((r) => matches(r, event, match))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stand-in: no "${event}" ${JSON.stringify(match ?? {})} within ${ms} ms`)), ms);
    waiters.push({ event, match, resolve: () => (clearTimeout(timer), resolve()) });
  });
}

const appHandlers = new Map();
const on = (map, name, fn) => map.set(name, [...(map.get(name) ?? []), fn]);
const emit = (map, name, ...a) => (map.get(name) ?? []).forEach((fn) => fn(...a));

export const app = {
  requestSingleInstanceLock: () => true,
  quit: () => record('app.quit'),
  on: (name, fn) => on(appHandlers, name, fn),
  whenReady: () => Promise.resolve(),
  getPath: (name) => {
    record('app.getPath', { name });
    return process.env.STAND_IN_USER_DATA;
  },
  setBadgeCount: (n) => (record('app.setBadgeCount', { n }), true),
  dock: process.env.STAND_IN_PLATFORM_MAC ? { setBadge: (text) => record('app.dock.setBadge', { text }), bounce: () => 0 } : undefined,
};

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => record('Menu.setApplicationMenu', { items: menu.template.length }),
};

export const shell = {
  openPath: async (p) => (record('shell.openPath', { path: p }), ''),
  openExternal: async (url) => record('shell.openExternal', { url }),
};

const ipc = new Map();
export const ipcMain = {
  handle: (channel, fn) => (ipc.set(channel, fn), record('ipcMain.handle', { channel })),
  removeHandler: (channel) => ipc.delete(channel),
};

const sessionHandlers = {};
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (fn) => (sessionHandlers.request = fn),
    setPermissionCheckHandler: (fn) => (sessionHandlers.check = fn),
    webRequest: { onHeadersReceived: (fn) => (sessionHandlers.headers = fn) },
  },
};

export class Notification {
  static isSupported() {
    return true;
  }
  constructor(opts) {
    this.opts = opts;
    this.handlers = new Map();
  }
  on(name, fn) {
    on(this.handlers, name, fn);
  }
  show() {
    record('Notification.show', { title: this.opts.title, body: this.opts.body });
  }
}

export const dialog = {
  showOpenDialog: async (win, opts) => {
    record('dialog.showOpenDialog', { title: opts.title, properties: opts.properties, hasWindow: !!win });
    const p = process.env.STAND_IN_DIALOG_PATH;
    return p ? { canceled: false, filePaths: [p] } : { canceled: true, filePaths: [] };
  },
  showSaveDialog: async (win, opts) => {
    record('dialog.showSaveDialog', { title: opts.title, hasWindow: !!win });
    const p = process.env.STAND_IN_DIALOG_PATH;
    return p ? { canceled: false, filePath: p } : { canceled: true };
  },
};

let windowId = 100;
export class BrowserWindow {
  constructor(opts) {
    this.opts = opts;
    this.focused = false;
    const id = ++windowId;
    this.url = '';
    this.webContents = {
      id,
      on: () => {},
      setWindowOpenHandler: () => {},
      send: (channel, payload) => record('webContents.send', { channel, payload }),
      getURL: () => this.url,
      isDestroyed: () => false,
    };
    record('BrowserWindow', { title: opts.title, sandbox: opts.webPreferences.sandbox, contextIsolation: opts.webPreferences.contextIsolation, preload: opts.webPreferences.preload });
  }
  async loadURL(url) {
    this.url = url;
    record('BrowserWindow.loadURL', { url });
    // The page itself, as Electron would fetch it through the app:// handler the app registered.
    const handler = protocolHandlers.get(new URL(url).protocol.slice(0, -1));
    if (handler) {
      const res = await handler({ url, method: 'GET' });
      record('protocol.response', { url, status: res.status, csp: res.headers.get('content-security-policy') !== null, type: res.headers.get('content-type') });
    }
    setTimeout(() => void drive(this), 0);
  }
  async loadFile(file) {
    this.url = pathToFileURL(file).href;
    record('BrowserWindow.loadFile', { file });
    setTimeout(() => void drive(this), 0);
  }
  once() {}
  show() {}
  isMinimized() {
    return false;
  }
  isFocused() {
    return this.focused;
  }
  restore() {}
  focus() {}
  flashFrame(on) {
    record('BrowserWindow.flashFrame', { on });
  }
  setProgressBar(value, opts) {
    record('BrowserWindow.setProgressBar', { value, mode: opts?.mode });
  }
}

/** Calls IPC channels as the window's own page would (main frame, our file:// URL). */
async function drive(win) {
  const steps = JSON.parse(process.env.STAND_IN_SCRIPT ?? '[]');
  const event = { sender: win.webContents, senderFrame: { url: win.url, parent: null } };
  try {
    for (const step of steps) {
      if (step.waitFor) {
        await waitFor(step.waitFor, step.match, step.ms ?? 60_000);
        continue;
      }
      const fn = ipc.get(`vt:${step.call}`);
      if (!fn) throw new Error(`stand-in: no IPC handler for ${step.call}`);
      // { "$file": path } in the arguments stands for that file's bytes (a Uint8Array, as the page sends).
      const args = JSON.parse(JSON.stringify(step.args ?? []), (_k, v) => (v && typeof v === 'object' && typeof v.$file === 'string' ? new Uint8Array(readFileSync(v.$file)) : v));
      const result = await fn(event, ...args);
      record('ipc.result', { channel: step.call, result });
    }
  } catch (e) {
    record('stand-in.error', { message: String(e?.message ?? e) });
  }
  emit(appHandlers, 'before-quit');
  record('quit');
  // The job host closes its children asynchronously; give it a moment, then leave.
  setTimeout(() => process.exit(0), 200);
}

const protocolHandlers = new Map();
export const protocol = {
  registerSchemesAsPrivileged: (schemes) => record('protocol.registerSchemesAsPrivileged', { schemes }),
  handle: (scheme, fn) => (protocolHandlers.set(scheme, fn), record('protocol.handle', { scheme })),
};

/**
 * Electron's utilityProcess as a Node child: same calls (fork, postMessage, 'message', 'exit',
 * kill). The child is a plain Node fork, so the worker takes its process.send branch; the app's
 * adapter (electron/utility-jobs.ts) is what this exercises.
 */
export const utilityProcess = {
  fork: (modulePath, args, opts) => {
    record('utilityProcess.fork', { serviceName: opts.serviceName });
    const child = fork(modulePath, args, { execArgv: opts.execArgv, env: opts.env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return {
      get pid() {
        return child.pid;
      },
      postMessage: (m) => child.send(m),
      on: (event, fn) => (event === 'exit' ? child.on('exit', (code, signal) => fn(code ?? (signal ? 1 : 0))) : child.on('message', fn)),
      kill: () => child.kill('SIGKILL'),
    };
  },
};

export default { app, Menu, shell, ipcMain, session, Notification, dialog, BrowserWindow, protocol, utilityProcess };
