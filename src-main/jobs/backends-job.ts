/**
 * @file Job: which compute backends this machine has and which one jobs use. Runs in a job
 * process (not the serving process) because probing loads tfjs and Dawn, and because the answer
 * that matters is the one a job process gets.
 */
import os from 'node:os';
import { backendFromEnv, initBackend, type BackendChoice } from '../compute/backend.ts';

export async function run(params: { prefer?: string }): Promise<BackendChoice & { cores: number }> {
  const { parseBackendName } = await import('../compute/backend.ts');
  const choice = await initBackend(params.prefer ? parseBackendName(params.prefer) : backendFromEnv());
  return { ...choice, cores: os.availableParallelism() };
}
