/**
 * `vocab-tuner models list|download|rm|import`: the Whisper checkpoints in the shared Hugging Face
 * cache. Progress goes to stderr (a bar on a terminal, a line per file otherwise); with --json,
 * stdout is one JSON object (list, rm, import) or JSON lines (download progress, then "done").
 */
import { parseArgs } from 'node:util';
import { UserError } from '../util/errors.ts';
import { downloadModel, formatBytes, type DownloadProgress } from '../models/download.ts';
import { modelCatalog } from '../models/catalog.ts';
import { hubCacheDir, removeCachedModel, validateRepoId } from '../models/hf-cache.ts';
import { importLocalModel } from '../models/import-local.ts';
import { resolveRepoId } from '../models/known-models.ts';

const USAGE = `Usage:
  vocab-tuner models list [--json]
  vocab-tuner models download REPO [--revision R] [--json]
  vocab-tuner models rm REPO [--json]
  vocab-tuner models import DIR [--name NAME] [--json]

REPO is a Hub repo id (openai/whisper-base.en) or a known short name (base.en).
Models live in the Hugging Face cache (${hubCacheDir()}), shared with Python tools.
Environment: HF_HOME / HF_HUB_CACHE (cache folder), HF_ENDPOINT (mirror), HF_TOKEN (gated or
private repos), HTTPS_PROXY / HTTP_PROXY / NO_PROXY, HF_HUB_OFFLINE=1 (cache only).`;

function duration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, '0');
  const ss = String(t % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One progress line: file, bar, bytes, speed, ETA. */
export function progressLine(p: DownloadProgress, width = 24): string {
  const frac = p.total > 0 ? p.bytes / p.total : 1;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  const pct = `${Math.floor(frac * 100)}`.padStart(3);
  return `${p.file.padEnd(28).slice(0, 28)} ${pct}% [${bar}] ${formatBytes(p.bytes)}/${formatBytes(p.total)}  ${formatBytes(p.speed)}/s  ETA ${duration(p.eta)}`;
}

function progressReporter(json: boolean): (p: DownloadProgress) => void {
  if (json) return (p) => console.log(JSON.stringify({ event: 'progress', ...p }));
  const tty = process.stderr.isTTY;
  return (p) => {
    if (tty) process.stderr.write(`\r${progressLine(p)}\x1b[K${p.done ? '\n' : ''}`);
    else if (p.done) process.stderr.write(`${progressLine(p)}\n`);
  };
}

async function list(json: boolean): Promise<number> {
  const { cacheDir, known, others } = modelCatalog();
  if (json) {
    console.log(JSON.stringify({ cacheDir, known, others }));
    return 0;
  }
  const w = Math.max(...known.map((m) => m.repo.length), ...others.map((c) => c.repo.length));
  console.log(`Known models (cache: ${cacheDir}):`);
  for (const m of known) {
    console.log(`  ${m.repo.padEnd(w)}  ${m.params.padStart(5)}  ~${formatBytes(m.sizeBytes).padStart(8)}  ${m.multilingual ? 'multilingual' : 'English    '}  ${m.cached ? 'cached' : ''}`);
  }
  if (others.length) {
    console.log('\nOther models in the cache:');
    for (const c of others) console.log(`  ${c.repo.padEnd(w)}  ${formatBytes(c.sizeOnDisk).padStart(8)}  ${c.usable ? 'usable' : 'incomplete or not a Whisper checkpoint'}`);
  }
  return 0;
}

async function download(repoArg: string, revision: string | undefined, json: boolean): Promise<number> {
  const repo = validateRepoId(resolveRepoId(repoArg));
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    if (!json) process.stderr.write(`Downloading ${repo}${revision ? `@${revision}` : ''} into ${hubCacheDir()}\n`);
    const r = await downloadModel(repo, { revision, signal: ac.signal, onProgress: progressReporter(json) });
    if (json) console.log(JSON.stringify({ event: 'done', ...r }));
    else {
      const how = r.offline ? 'Hub unreachable; using the cached copy' : r.fromCache ? 'already in the cache' : `fetched ${formatBytes(r.downloadedBytes)}`;
      process.stderr.write(`${repo}: ${how}\n`);
      console.log(r.snapshotDir);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function rm(repoArg: string, json: boolean): Promise<number> {
  const repo = validateRepoId(resolveRepoId(repoArg));
  const r = await removeCachedModel(repo);
  if (!r.removed) throw new UserError('MODEL_NOT_CACHED', `${repo} is not in the cache (${hubCacheDir()}); \`vocab-tuner models list\` shows what is.`);
  if (json) console.log(JSON.stringify({ repo, ...r }));
  else console.log(`Removed ${repo} (${formatBytes(r.bytes)} freed).`);
  return 0;
}

async function importDir(dir: string, name: string | undefined, json: boolean): Promise<number> {
  const r = await importLocalModel(dir, { name, onFile: json ? undefined : (f) => process.stderr.write(`  ${f}\n`) });
  if (json) console.log(JSON.stringify(r));
  else console.log(`${r.alreadyImported ? 'Already imported' : 'Imported'} as ${r.repo} (${r.snapshotDir}); use --model ${r.repo}.`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      revision: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub, arg, ...extra] = positionals;
  if (values.help || !sub) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 2;
  }
  const needArg = (what: string) => {
    if (!arg || extra.length) throw new UserError('USAGE', `models ${sub} takes exactly one ${what}.\n\n${USAGE}`);
    return arg;
  };
  switch (sub) {
    case 'list':
      return list(values.json);
    case 'download':
      return download(needArg('REPO'), values.revision, values.json);
    case 'rm':
      return rm(needArg('REPO'), values.json);
    case 'import':
      return importDir(needArg('DIR'), values.name, values.json);
    default:
      throw new UserError('USAGE', `unknown models subcommand "${sub}".\n\n${USAGE}`);
  }
}
