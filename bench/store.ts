/**
 * Data-store benchmark at 10 000 clips: listing, stats and split assignment (the bar is
 * < 100 ms each), plus one real clip save for scale.
 *
 * What it measures, honestly: the 10 000 recordings are ROWS inserted directly (unique synthetic
 * checksums, realistic transcripts, 20 terms, prompts for half of them), all pointing at one
 * real WAV file, because writing and fsyncing 10 000 files would measure the disk, not the store.
 * Listing / stats / splits never touch audio files, so the numbers are the store's own SQL + JS
 * cost. `save_clip_ms` is separate: one real 3 s clip encoded, written atomically with fsync and
 * committed.
 *
 *   node --import tsx bench/store.ts     prints a table, writes bench/results/store.json
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeAudioAtomic } from '../src-main/store/audio-files.ts';
import { getOrCreateProject } from '../src-main/store/projects.ts';
import { addPrompts } from '../src-main/store/prompts.ts';
import { listRecordings, saveRecording } from '../src-main/store/recordings.ts';
import { generateScript } from '../src-main/store/script.ts';
import { assignSplits } from '../src-main/store/splits.ts';
import { projectStats } from '../src-main/store/stats.ts';
import { closeStore, openStore } from '../src-main/store/store.ts';
import { addTerm, listTerms } from '../src-main/store/terms.ts';
import { encodeWavPcm16 } from '../src-main/audio/wav.ts';

const N = 10_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median wall time and median CPU time (user + system of this process) in ms. On a shared,
 * overloaded machine wall time mostly measures waiting for a core; CPU time is what the work
 * costs on a free one. Both are reported.
 */
function time(reps: number, fn: () => void, before?: () => void): [number, number] {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    before?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return [median(wall), median(cpu)];
}

export async function benchStore(): Promise<Record<string, number>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-bench-store-'));
  const store = openStore(dir);
  try {
    const pid = getOrCreateProject(store.db).id;
    const words = ['CUDA', 'PyTorch', 'kubelet', 'Kubernetes', 'TensorFlow', 'gRPC', 'PostgreSQL', 'Svelte', 'WebGPU', 'LoRA', 'Whisper', 'ggml', 'safetensors', 'Electron', 'SQLite', 'Vite', 'ONNX', 'NumPy', 'pandas', 'tokenizer'];
    store.db.transaction(() => words.forEach((w) => addTerm(store.db, pid, { text: w })))();
    addPrompts(store.db, pid, generateScript(listTerms(store.db, pid), { perTerm: 6 }));
    const prompts = (store.db.prepare('SELECT id, text FROM prompts WHERE project_id = ?').all(pid) as { id: number; text: string }[]);
    const shared = writeAudioAtomic(dir, encodeWavPcm16(new Float32Array(16000).fill(0.01), 16000)).file;
    const ins = store.db.prepare(
      "INSERT INTO recordings (project_id, prompt_id, file, sha256, duration_s, sample_rate, n_samples, source, created_at) VALUES (?, ?, ?, ?, ?, 16000, ?, 'recorded', ?)",
    );
    const insT = store.db.prepare("INSERT INTO transcripts (recording_id, text, source, updated_at) VALUES (?, ?, 'prompt', ?)");
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    store.db.transaction(() => {
      for (let i = 0; i < N; i++) {
        const p = i % 2 === 0 ? prompts[i % prompts.length] : null;
        const text = p ? p.text : i % 3 === 0 ? `An ordinary sentence about the weather, number ${i}.` : `Today I read about ${words[i % words.length]} for ${i % 60} minutes.`;
        const at = new Date(t0 + i * 1000).toISOString();
        const id = Number(ins.run(pid, p?.id ?? null, shared, i.toString(16).padStart(64, '0'), 2 + (i % 50) / 10, 16000 * 3, at).lastInsertRowid);
        insT.run(id, text, at);
      }
    })();

    const out: Record<string, number> = { clips: N, load_average_1m: os.loadavg()[0], cpus: os.cpus().length };
    const put = (name: string, [wall, cpu]: [number, number]) => {
      out[`${name}_ms`] = wall;
      out[`${name}_cpu_ms`] = cpu;
    };
    put('list_all', time(5, () => {
      if (listRecordings(store.db, pid).length !== N) throw new Error('listing lost rows');
    }));
    put('list_page_100', time(5, () => listRecordings(store.db, pid, { limit: 100, offset: 5000 })));
    put('assign_splits_all', time(5, () => assignSplits(store.db, pid), () => store.db.exec('DELETE FROM splits')));
    put('assign_splits_100_new', time(5, () => assignSplits(store.db, pid), () => store.db.exec('DELETE FROM splits WHERE recording_id > 9900')));
    put('list_filter_split', time(5, () => listRecordings(store.db, pid, { split: 'test' })));
    put('stats', time(5, () => projectStats(store.db, pid)));
    const x = Float32Array.from({ length: 48000 }, (_, i) => 0.1 * Math.sin(i / 7));
    let k = 0;
    put('save_clip', time(5, () => {
      x[0] = ++k / 1000; // a new checksum each time
      saveRecording(store, pid, { samples: x, transcript: { text: 'CUDA again', source: 'typed' } });
    }));
    return out;
  } finally {
    closeStore(store);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const r = await benchStore();
  console.log(`store benchmark: ${N} clip rows (one shared audio file; see the header of bench/store.ts)`);
  console.log(`  (load average ${r.load_average_1m.toFixed(1)} on ${r.cpus} cores)\n  ${'operation'.padEnd(24)} ${'wall ms'.padStart(8)} ${'cpu ms'.padStart(8)}`);
  for (const k of Object.keys(r).filter((k) => k.endsWith('_ms') && !k.endsWith('_cpu_ms'))) {
    console.log(`  ${k.slice(0, -3).padEnd(24)} ${r[k].toFixed(1).padStart(8)} ${r[k.replace(/_ms$/, '_cpu_ms')].toFixed(1).padStart(8)}`);
  }
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'store.json'), JSON.stringify({ ...r, measured: 'rows only, one shared audio file; save_clip_ms is a real atomic write + commit', at: new Date().toISOString(), node: process.version }, null, 2) + '\n');
}
