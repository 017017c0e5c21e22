/**
 * @file Electron main: lifecycle only. Reads like a table of contents: one instance, open the
 * store, start the job host, register the API, build the menu, open the window.
 * The app runs this compiled to dist-main/electron/main.js (`npm run build:main`, esbuild; package.json
 * "main"), so no TypeScript is transpiled at start-up; the CLI runs the same code from the sources.
 */
import * as electron from 'electron';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, closeStore } from '../store/store.ts';
import { resolveDataDir } from '../store/paths.ts';
import { JobHost } from '../jobs/host.ts';
import { createHandlers } from '../ipc/handlers.ts';
import type { Events } from '../ipc/contract.ts';
import { registerIpc } from './register.ts';
import { createWindow } from './window.ts';
import { menuTemplate } from './menu.ts';
import type { AttentionWindowLike, BrowserWindowLike, DesktopLike, ElectronLike } from './electron-like.ts';
import { Attention } from './attention.ts';
import { handleAppProtocol, registerAppScheme } from './app-protocol.ts';
import { utilitySpawn } from './utility-jobs.ts';
import type { ProtocolLike, UtilityProcessLike } from './electron-like.ts';
import { pickFolder } from './dialogs.ts';

const { app, Menu, shell } = electron;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RENDERER_DIR = path.join(ROOT, 'dist-renderer');
const PRELOAD = path.join(ROOT, 'dist-electron', 'preload.cjs');
// `npm start` rebuilds better-sqlite3 for Electron's ABI into build-electron/ so node_modules keeps
// the plain-Node build that `npm test` needs (scripts/start-electron.mjs); a packaged app has no
// such folder (electron-builder rebuilt node_modules' copy inside the package).
const SQLITE_FOR_ELECTRON = path.join(ROOT, 'build-electron', 'better_sqlite3.node');
if (existsSync(SQLITE_FOR_ELECTRON)) process.env.VOCAB_TUNER_SQLITE_BINDING ??= SQLITE_FOR_ELECTRON;

// The page's own origin, app://vocab-tuner (not file://); must be registered before 'ready'.
const protocol = electron.protocol as unknown as ProtocolLike;
registerAppScheme(protocol);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindowLike | null = null;
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  app.whenReady().then(() => {
    const store = openStore(resolveDataDir({ electronUserData: app.getPath('userData') }));
    const send = (event: string, payload: unknown) => {
      if (win && !win.webContents.isDestroyed()) win.webContents.send(`vt-event:${event}`, payload);
    };
    const desktop = electron as unknown as DesktopLike;
    // Taskbar/dock progress and a notification when a long job ends (attention.ts).
    const attention = new Attention(desktop, () => (win as unknown as AttentionWindowLike | null));
    // Jobs run as utility processes: the packaged app's RunAsNode fuse is off (no fork as Node).
    const jobs = new JobHost(
      (e) => {
        send(e.name, e.payload);
        attention.onJobEvent(e);
      },
      { spawn: utilitySpawn(electron.utilityProcess as unknown as UtilityProcessLike) },
    );
    const handlers = createHandlers({
      store,
      jobs,
      mode: 'electron',
      emit: <E extends keyof Events>(event: E, payload: Events[E]) => send(event, payload),
      pickFolder: (purpose) => pickFolder(desktop, win, purpose),
    });
    const real = electron as unknown as ElectronLike;
    registerIpc(real, handlers, { rendererDir: RENDERER_DIR, isKnownSender: (id) => win?.webContents.id === id });
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate({ isMac: process.platform === 'darwin', goTo: (page) => send('app.navigate', { page }), openDataDir: () => void shell.openPath(store.dataDir) }) as electron.MenuItemConstructorOptions[],
      ),
    );
    handleAppProtocol(protocol, RENDERER_DIR);
    win = createWindow(real, { rendererDir: RENDERER_DIR, preload: PRELOAD, openExternal: (url) => void shell.openExternal(url) });
    app.on('before-quit', () => {
      void jobs.close();
      closeStore(store);
    });
  });

  app.on('window-all-closed', () => app.quit());
}
