/**
 * @file The application menu as data (Electron's MenuItemConstructorOptions shape). Page items
 * send a navigation event to the renderer, so the menu and the sidebar are the same commands.
 */
export type MenuItem = { label?: string; role?: string; type?: 'separator'; accelerator?: string; submenu?: MenuItem[]; click?: () => void };

import type { Page } from '../ipc/contract.ts';

export const PAGES: readonly Page[] = ['Vocabulary', 'Record', 'Dataset', 'Tune', 'Compare', 'Try', 'Models', 'Settings'];

export function menuTemplate(opts: { isMac: boolean; goTo: (page: Page) => void; openDataDir: () => void }): MenuItem[] {
  const app: MenuItem[] = opts.isMac ? [{ label: 'Vocab Tuner', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { type: 'separator' }, { role: 'quit' }] }] : [];
  return [
    ...app,
    { label: 'File', submenu: [{ label: 'Show Data Folder', click: opts.openDataDir }, { type: 'separator' }, opts.isMac ? { role: 'close' } : { role: 'quit' }] },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: 'Go', submenu: PAGES.map((p, i) => ({ label: p, accelerator: `CmdOrCtrl+${i + 1}`, click: () => opts.goTo(p) })) },
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'zoom' }] },
  ];
}
