/**
 * @file Native folder pickers for the desktop app (model import and export, recipe export), so
 * nobody has to type an absolute path. Browser mode keeps the text field: a web page cannot browse
 * the back end's disk.
 */
import type { FolderPurpose } from '../ipc/contract.ts';
import type { DesktopLike } from './electron-like.ts';

const PICKERS: Record<FolderPurpose, { title: string; buttonLabel: string; create: boolean }> = {
  'model-import': { title: 'Import a Hugging Face Whisper folder (config.json + model.safetensors)', buttonLabel: 'Import', create: false },
  'model-export': { title: 'Export the tuned model into this folder', buttonLabel: 'Export here', create: true },
  'recipe-export': { title: 'Write the training recipe into this folder', buttonLabel: 'Write here', create: true },
  'dataset-import': { title: 'Import a dataset folder (audiofolder, or audio files with same-name .txt)', buttonLabel: 'Import', create: false },
  'dataset-export': { title: 'Export the dataset into a new, empty folder', buttonLabel: 'Export here', create: true },
};

/** Shows the picker for `purpose` attached to `win`; the chosen folder, or null when cancelled. */
export async function pickFolder(desktop: DesktopLike, win: unknown, purpose: FolderPurpose): Promise<string | null> {
  const p = PICKERS[purpose];
  const r = await desktop.dialog.showOpenDialog(win, {
    title: p.title,
    buttonLabel: p.buttonLabel,
    properties: p.create ? ['openDirectory', 'createDirectory', 'promptToCreate'] : ['openDirectory'],
  });
  return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
}
