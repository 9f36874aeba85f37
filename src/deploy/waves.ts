import { mapBounded } from '../concurrency.js';
import type { DeployReport } from '../model/outcome.js';
import type { PlannedWave } from '../plan/waves.js';
import type { Progress } from '../report/progress.js';
import type { DeployExecution } from './execute.js';
import { GateError, type GateActions } from './gates.js';

export interface WavesOptions {
  progress: Progress;
  gates: GateActions;
  /** A resumed deploy: the wave it paused before (its approval is now given). */
  resumeBefore?: string;
}

type WaveState = NonNullable<DeployReport['waves']>[number]['state'];

const clock = (seconds: number) =>
  `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
const now = () => new Date().toISOString();

/** What gates answer to: the deploy's stop signal, and where a failed gate is reported. */
export interface GatedRun {
  readonly stopSignal: AbortSignal;
  failGate(wave: string, reason: string): void;
}

/** Runs the gates of a wave that deployed (either engine); the first that fails stops the deploy. */
export async function passGates(
  execution: GatedRun,
  wave: PlannedWave,
  options: Pick<WavesOptions, 'progress' | 'gates'>,
): Promise<void> {
  const { progress, gates } = options;
  const signal = execution.stopSignal;
  const gate = (
    kind: 'soak' | 'check' | 'helm-test',
    state: 'waiting' | 'passed' | 'failed',
    detail?: string,
  ) =>
    progress.event({
      type: 'gate',
      at: now(),
      wave: wave.name,
      gate: kind,
      state,
      ...(detail ? { detail } : {}),
    });
  const attempt = async (kind: 'soak' | 'check' | 'helm-test', fn: () => Promise<void>) => {
    try {
      await fn();
      if (!signal.aborted) gate(kind, 'passed');
    } catch (error) {
      const reason =
        error instanceof GateError ? error.message : `${kind}: ${(error as Error).message.split('\n')[0]}`;
      gate(kind, 'failed', reason);
      execution.failGate(wave.name, reason);
    }
  };
  if (wave.soakSeconds > 0 && !signal.aborted) {
    const total = clock(wave.soakSeconds);
    for (const entry of wave.entries)
      progress.event({
        type: 'target',
        at: now(),
        release: `${entry.target.release}.${entry.target.namespace}`,
        cluster: entry.target.cluster,
        wave: wave.name,
        state: 'soaking',
        detail: `for ${total}`,
      });
    gate('soak', 'waiting', `0:00 of ${total}`);
    let announced = 0;
    await attempt('soak', () =>
      gates.soak(wave.entries, wave.soakSeconds, signal, (elapsed) => {
        if (elapsed - announced >= 10 || elapsed >= wave.soakSeconds) {
          announced = elapsed;
          gate('soak', 'waiting', `${clock(elapsed)} of ${total}`);
        }
      }),
    );
  }
  if (wave.checks.length > 0 && !signal.aborted) {
    gate('check', 'waiting', [...new Set(wave.checks.map((c) => c.check.run))].join('; '));
    await attempt('check', async () => {
      await mapBounded(wave.checks, 4, ({ entry, check }) =>
        signal.aborted ? Promise.resolve() : gates.check(entry, check, signal),
      );
    });
  }
  if (wave.helmTests.length > 0 && !signal.aborted) {
    gate('helm-test', 'waiting', `${wave.helmTests.length} release(s)`);
    await attempt('helm-test', async () => {
      await mapBounded(wave.helmTests, 4, (entry) =>
        signal.aborted ? Promise.resolve() : gates.helmTest(entry, signal),
      );
    });
  }
}

/**
 * Runs a deploy wave by wave: a wave's targets, then its gates (soak, checks, `helm test`);
 * the next wave starts only once they pass. On any failure in wave k — rollout, gate, signal —
 * later waves are never touched; the caller's `finish` brings waves 1…k back together. A wave
 * behind a manual approval pauses the deploy there (its lock kept) until `--resume`.
 */
export async function runWaves(
  execution: DeployExecution,
  waves: readonly PlannedWave[],
  options: WavesOptions,
): Promise<{ pausedBefore?: string; states: NonNullable<DeployReport['waves']> }> {
  const states: NonNullable<DeployReport['waves']> = waves.map((w) => ({
    name: w.name,
    clusters: w.clusters,
    state: 'not-started' as WaveState,
  }));
  const resumeIndex = options.resumeBefore ? waves.findIndex((w) => w.name === options.resumeBefore) : 0;
  for (const [index, wave] of waves.entries()) {
    const state = states[index]!;
    if (index < resumeIndex) {
      state.state = 'done'; // deployed and gated before the pause
      execution.announce(wave.entries, wave.name);
      continue;
    }
    if (execution.stopSignal.aborted) break;
    if (wave.approval && index !== resumeIndex) {
      state.state = 'paused-before';
      options.progress.event({
        type: 'gate',
        at: now(),
        wave: wave.name,
        gate: 'approval',
        state: 'waiting',
        detail: 'paused: approve with `regatta deploy --resume DEPLOY_ID`, or `regatta abort DEPLOY_ID`',
      });
      return { pausedBefore: wave.name, states };
    }
    options.progress.event({
      type: 'wave',
      at: now(),
      wave: wave.name,
      state: 'started',
      detail: wave.clusters.join(', '),
    });
    execution.announce(wave.entries, wave.name);
    await execution.apply(wave.entries, wave.name, wave.maxParallel);
    if (!execution.stopSignal.aborted) await passGates(execution, wave, options);
    if (execution.stopSignal.aborted) {
      state.state = 'failed';
      options.progress.event({
        type: 'wave',
        at: now(),
        wave: wave.name,
        state: 'failed',
        detail: execution.failure().reason ?? 'stopped',
      });
      break;
    }
    state.state = 'done';
    options.progress.event({ type: 'wave', at: now(), wave: wave.name, state: 'healthy' });
  }
  return { states };
}
