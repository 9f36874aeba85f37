// Where a deploy's time went, per target and per cluster, read back from its own
// `--output json` stream (JSON Lines: `target` events with their times, then the summary with
// each outcome's `timings`).

interface TargetEvent {
  type: 'target';
  at: string;
  cluster: string;
  release: string;
  state: string;
}

/** The phases of a target's `timings` (model/outcome.ts), in the order they happen. */
export const PHASES = ['observe', 'render', 'upgrade', 'postRender', 'wait', 'verdict'] as const;
export type Phase = (typeof PHASES)[number];

export interface ClusterBreakdown {
  cluster: string;
  targets: number;
  /** From `waiting` to `deploying`: behind the concurrency limit. */
  queuedMedian: number;
  /** Per phase, the median over the cluster's targets that had it (NaN: none had it). */
  phaseMedians: Record<Phase, number>;
  /** helm's whole run (`upgrade` + `wait`): min, median and max over the cluster's targets. */
  helmMin: number;
  helmMedian: number;
  helmMax: number;
  /** When the cluster's last target was healthy, since the deploy's first event. */
  lastHealthyAt: number;
}

export interface Breakdown {
  /**
   * Process start → first target deploying: node's start, reachability, secrets, lock, observing,
   * rendering, planning (the stream's first event comes once the plan is made).
   */
  prepare: number;
  /** First target deploying → last target healthy. */
  apply: number;
  /** Last target healthy → summary. */
  finish: number;
  clusters: ClusterBreakdown[];
}

const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** `wallSeconds`: the deploy process's own wall time, start to exit, as the caller measured it. */
export function breakdown(jsonLines: string, wallSeconds: number): Breakdown {
  const lines = jsonLines
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const times = lines.map((line) => Date.parse(String(line.at)));
  const start = Math.min(...times);
  const since = (at: string) => (Date.parse(at) - start) / 1000;
  const targets = lines.filter(
    (line): line is TargetEvent & Record<string, unknown> => line.type === 'target',
  );
  const summary = lines.at(-1) as {
    at: string;
    outcomes?: {
      cluster: string;
      release: string;
      namespace: string;
      status: string;
      timings?: Partial<Record<Phase, number>>;
    }[];
  };
  const firstAt = (state: string, key: string) =>
    targets.find((t) => t.state === state && `${t.cluster}\0${t.release}` === key)?.at;
  const deploying = targets.filter((t) => t.state === 'deploying').map((t) => since(t.at));
  const healthy = targets.filter((t) => t.state === 'healthy').map((t) => since(t.at));
  const clusters = [...new Set(targets.map((t) => t.cluster))].map((cluster) => {
    const outcomes = (summary.outcomes ?? []).filter((o) => o.cluster === cluster && o.status === 'deployed');
    const helm = outcomes.map((o) => (o.timings?.upgrade ?? NaN) + (o.timings?.wait ?? 0));
    const phaseMedians = Object.fromEntries(
      PHASES.map((phase) => [
        phase,
        median(outcomes.map((o) => o.timings?.[phase]).filter((v): v is number => v !== undefined)),
      ]),
    ) as Record<Phase, number>;
    const queued = outcomes.map((o) => {
      const key = `${cluster}\0${o.release}.${o.namespace}`;
      const waiting = firstAt('waiting', key);
      const started = firstAt('deploying', key);
      return waiting && started ? since(started) - since(waiting) : NaN;
    });
    const done = targets
      .filter((t) => t.cluster === cluster && t.state === 'healthy')
      .map((t) => since(t.at));
    return {
      cluster,
      targets: outcomes.length,
      queuedMedian: median(queued),
      phaseMedians,
      helmMin: Math.min(...helm),
      helmMedian: median(helm),
      helmMax: Math.max(...helm),
      lastHealthyAt: Math.max(...done),
    };
  });
  const firstDeploying = Math.min(...deploying);
  const lastHealthy = Math.max(...healthy);
  // The summary is printed just before exit: what the wall time has beyond it came before the first event.
  const beforeFirstEvent = Math.max(0, wallSeconds - since(summary.at));
  return {
    prepare: beforeFirstEvent + firstDeploying,
    apply: lastHealthy - firstDeploying,
    finish: since(summary.at) - lastHealthy,
    clusters,
  };
}
