/**
 * Child process of bench/one-click.ts: `node --import tsx bench/one-click-child.ts MODEL DATA OUT TERMS`
 * runs the Tune button's preset (trainerConfig(null, terms)) as the app's tune job does and prints
 * one JSON line: wall time, the run's stage breakdown, steps, encoder passes, threads.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { backendFromEnv, initBackend } from '../src-main/compute/backend.ts';
import { tune } from '../src-main/tuning/trainer.ts';
import { trainerConfig } from '../src-main/tuning/config.ts';
import { formatStages } from '../src-main/tuning/stages.ts';

const [modelDir, dataDir, outDir, terms] = process.argv.slice(2);
const choice = await initBackend(backendFromEnv());
const t0 = performance.now();
let clips = 0;
await tune({
  modelDir,
  dataDir,
  outDir,
  config: trainerConfig(null, terms.split(',')),
  onEvent: (e) => {
    if (e.type === 'start') {
      clips = e.trainClips + e.validationClips + e.generalClips;
      process.stderr.write(`training on ${clips} clips, ${e.totalSteps} steps\n`);
    } else if (e.type === 'prepare' && e.done === e.total) process.stderr.write(`${e.stage} ${e.done}/${e.total}\n`);
    else if (e.type === 'step') process.stderr.write(`step ${e.step}/${e.totalSteps}\n`);
    else if (e.type === 'done') process.stderr.write(`${formatStages(e.stages)}\n`);
  },
});
const wallSec = (performance.now() - t0) / 1000;
const run = JSON.parse(readFileSync(path.join(outDir, 'run.json'), 'utf8'));
console.log(JSON.stringify({
  threads: choice.threads ?? 1,
  backend: choice.chosen,
  clips,
  steps: run.step,
  wallSec,
  stages: run.timings.stages,
  encoderPasses: run.timings.encoderCache.misses,
}));
process.exit(0);
