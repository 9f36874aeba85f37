import { placeClusters } from '../config/rollout.js';
import { UserError } from '../errors.js';
import type { Fleet } from '../model/fleet.js';
import type { Plan, PlanEntry } from '../model/plan.js';
import { releaseKey, type Release } from '../model/release.js';
import type { CheckSpec, RolloutStrategy } from '../model/rollout.js';

/** One wave of a deploy: its targets, and the gates that must pass before the next wave starts. */
export interface PlannedWave {
  name: string;
  clusters: string[];
  entries: PlanEntry[];
  /** The longest soak any of its releases asks for. */
  soakSeconds: number;
  checks: { entry: PlanEntry; check: CheckSpec }[];
  /** Targets whose release asks for `helm test`. */
  helmTests: PlanEntry[];
  maxParallel?: number;
  /** A manual approval is needed before this wave starts. */
  approval: boolean;
}

/** The wave of a deploy without a rollout strategy: everything at once. */
export const ALL = 'all';

export interface WaveOptions {
  /** `--wave NAME`: only that wave's clusters (an emergency). */
  only?: string;
  /** `--skip-gates`: no soak, checks, helm test or approval (an emergency). */
  skipGates: boolean;
}

/**
 * Pure: a plan cut into waves. Each release follows its own `spec.rollout` or its environment's;
 * waves of the same name are one wave, in the order they first appear; a release without any
 * strategy goes in a last wave named `all`. Waves with no target in the selection are dropped.
 */
export function planWaves(
  plan: Plan,
  releases: readonly Release[],
  fleet: Fleet,
  options: WaveOptions,
): PlannedWave[] {
  const order: string[] = [];
  const waves = new Map<string, PlannedWave>();
  const waveOf = (name: string): PlannedWave => {
    let wave = waves.get(name);
    if (!wave) {
      wave = { name, clusters: [], entries: [], soakSeconds: 0, checks: [], helmTests: [], approval: false };
      waves.set(name, wave);
      order.push(name);
    }
    return wave;
  };
  for (const release of releases) {
    const environment = fleet.environments[release.environment];
    const strategy: RolloutStrategy | undefined = release.rollout ?? environment?.rollout;
    const entries = plan.entries.filter(
      (e) => e.target.release === release.name && e.target.namespace === release.namespace,
    );
    if (entries.length === 0) continue;
    if (!strategy) {
      const wave = waveOf(ALL);
      wave.entries.push(...entries);
      continue;
    }
    const placement = placeClusters(
      strategy,
      fleet.clusters.filter((c) => c.env === release.environment),
      release.environment,
    );
    for (const spec of strategy.waves) {
      const clusters = new Set(placement.get(spec.name)!.map((c) => c.name));
      const mine = entries.filter((e) => clusters.has(e.target.cluster));
      const wave = waveOf(spec.name);
      if (mine.length === 0) continue;
      wave.entries.push(...mine);
      wave.soakSeconds = Math.max(wave.soakSeconds, spec.soakSeconds);
      for (const entry of mine) {
        for (const check of spec.checks) wave.checks.push({ entry, check });
        if (spec.helmTest) wave.helmTests.push(entry);
      }
      if (spec.maxParallel)
        wave.maxParallel = Math.min(wave.maxParallel ?? spec.maxParallel, spec.maxParallel);
      if (strategy.approvalBefore === spec.name) wave.approval = true;
    }
  }
  if (options.only !== undefined && !waves.has(options.only))
    throw new UserError(`--wave ${options.only}: no such wave`, {
      hint: `the waves are: ${order.join(', ') || ALL}`,
    });
  // `all` (releases without a strategy) last.
  const sorted = [...order.filter((n) => n !== ALL), ...order.filter((n) => n === ALL)];
  return sorted
    .map((name) => waves.get(name)!)
    .filter((wave) => wave.entries.length > 0 && (options.only === undefined || wave.name === options.only))
    .map((wave) => ({
      ...wave,
      clusters: [...new Set(wave.entries.map((e) => e.target.cluster))],
      ...(options.skipGates ? { soakSeconds: 0, checks: [], helmTests: [], approval: false } : {}),
    }));
}

export const releaseOfEntry = (entry: PlanEntry) =>
  releaseKey({ name: entry.target.release, namespace: entry.target.namespace });

/** Pure: `--wave NAME` must name a wave of one of the releases' strategies (checked before any I/O). */
export function checkWaveName(name: string, releases: readonly Release[], fleet: Fleet): void {
  const names = new Set(
    releases.flatMap(
      (r) => (r.rollout ?? fleet.environments[r.environment]?.rollout)?.waves.map((w) => w.name) ?? [ALL],
    ),
  );
  if (!names.has(name))
    throw new UserError(`--wave ${name}: no such wave`, { hint: `the waves are: ${[...names].join(', ')}` });
}
