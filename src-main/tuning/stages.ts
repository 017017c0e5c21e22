/**
 * Where a tuning run's wall time goes, stage by stage: loading the model and audio, encoding the
 * clips once (frozen encoder), the optimizer steps, validation, and writing checkpoints and
 * adapters. The run prints it and stores it in run.json (`timings.stages`), so a slow run says
 * which stage to blame instead of one total.
 */
export const STAGES = ['load', 'features', 'steps', 'validation', 'export'] as const;
export type Stage = (typeof STAGES)[number];
export type StageSeconds = Record<Stage, number>;

export const STAGE_LABELS: Record<Stage, string> = {
  load: 'loading model and audio',
  features: 'encoding clips (encoder feature cache)',
  steps: 'training steps',
  validation: 'validation',
  export: 'checkpoints and adapters',
};

export class StageClock {
  private readonly sec: StageSeconds = { load: 0, features: 0, steps: 0, validation: 0, export: 0 };

  /** Runs `fn` and adds its wall time to `stage` (also when it throws). */
  async time<T>(stage: Stage, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.sec[stage] += (performance.now() - t0) / 1000;
    }
  }

  /** Adds time measured elsewhere (the steps, which exclude validation and export inside the loop). */
  add(stage: Stage, seconds: number): void {
    this.sec[stage] += seconds;
  }

  seconds(): StageSeconds {
    return { ...this.sec };
  }
}

/** "load 12.1 s · features 80.3 s · …" with each stage's share of the total. */
export function formatStages(s: StageSeconds): string {
  const total = STAGES.reduce((a, k) => a + s[k], 0);
  return STAGES.map((k) => `${k} ${s[k].toFixed(1)} s (${total > 0 ? Math.round((s[k] / total) * 100) : 0}%)`).join(' · ') + ` · total ${total.toFixed(1)} s`;
}
