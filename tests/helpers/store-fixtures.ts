/**
 * Small helpers for store tests: temp data dirs, WAV files at any rate / channel count, and a
 * snapshot of a store (row counts per table + every file) to prove a failed operation changed
 * nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Store } from '../../src-main/store/store.ts';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** PCM16 WAV bytes of a tone (+ a little seeded noise so every clip's checksum differs). */
export function toneWav(opts: { seconds: number; rate?: number; channels?: number; freq?: number; seed?: number }): Uint8Array {
  const rate = opts.rate ?? 16000;
  const ch = opts.channels ?? 1;
  const n = Math.round(opts.seconds * rate);
  const out = Buffer.alloc(44 + n * ch * 2);
  out.write('RIFF', 0);
  out.writeUInt32LE(36 + n * ch * 2, 4);
  out.write('WAVEfmt ', 8);
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(ch, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * ch * 2, 28);
  out.writeUInt16LE(ch * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36);
  out.writeUInt32LE(n * ch * 2, 40);
  let s = (opts.seed ?? 1) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const x = 0.3 * Math.sin((2 * Math.PI * (opts.freq ?? 440) * i) / rate) + 0.02 * (s / 0x100000000 - 0.5);
    for (let c = 0; c < ch; c++) out.writeInt16LE(Math.round(x * 32767), 44 + 2 * (i * ch + c));
  }
  return new Uint8Array(out);
}

function listFiles(root: string, rel = ''): string[] {
  const dir = path.join(root, rel);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const r = path.posix.join(rel, e.name);
    return e.isDirectory() ? [r + '/', ...listFiles(root, r)] : [r];
  });
}

/** Row count per table and the data dir's files (the SQLite files themselves excluded). */
export function snapshot(store: Store): { rows: Record<string, number>; files: string[] } {
  const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  const rows = Object.fromEntries(tables.map((t) => [t, (store.db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]));
  const files = listFiles(store.dataDir).filter((f) => !f.startsWith('vocab-tuner.db')).sort();
  return { rows, files };
}
