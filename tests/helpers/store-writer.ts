/**
 * Child process for the store crash test: saves small recordings in a loop until it is killed.
 * Usage: node --import tsx tests/helpers/store-writer.ts <dataDir> <seed>
 * Prints "ready" once the store is open, so the parent's kill lands during writes, not startup.
 */
import { openStore } from '../../src-main/store/store.ts';
import { getOrCreateProject } from '../../src-main/store/projects.ts';
import { saveRecording } from '../../src-main/store/recordings.ts';

const [dataDir, seedArg] = process.argv.slice(2);
let s = Number(seedArg) >>> 0 || 1;
function rand(): number {
  // xorshift32: each writer's clips differ from every other writer's, so no duplicate checksums.
  s ^= s << 13;
  s >>>= 0;
  s ^= s >>> 17;
  s ^= s << 5;
  s >>>= 0;
  return s / 0x100000000;
}

const store = openStore(dataDir);
const project = getOrCreateProject(store.db);
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const samples = new Float32Array(800 + Math.floor(rand() * 2400));
  for (let j = 0; j < samples.length; j++) samples[j] = (rand() - 0.5) * 0.5;
  saveRecording(store, project.id, { samples, transcript: { text: `clip ${seedArg}-${i}`, source: 'typed' }, sourceName: `w${seedArg}-${i}` });
}
