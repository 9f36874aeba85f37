import type { PlanEntry } from './plan.js';

/**
 * How one release × cluster ended. `interrupted`: stopped by a signal before it finished;
 * `left-alone`: a revision someone else made is live there, so it was not rolled back by us;
 * `unreachable`: the cluster stopped answering and its state is not known.
 */
export type OutcomeStatus =
  | 'unchanged'
  | 'deployed'
  | 'failed'
  | 'interrupted'
  | 'rolled-back'
  | 'rollback-failed'
  | 'left-alone'
  | 'untouched';

export interface Outcome {
  entry: PlanEntry;
  status: OutcomeStatus;
  /** The revision live before this deploy (none: a first install). */
  previousRevision?: number;
  revision?: number;
  /** The revision a rollback went back to (0: uninstalled, as before a first install). */
  rolledBackTo?: number;
  /** A release left pending by a killed helm that this run unlocked first. */
  recovered?: string;
  error?: string;
  rollbackError?: string;
  seconds: number;
  /** The wave it belongs to. */
  wave?: string;
  /** Where the time went, in seconds (for `--output json` and the benchmark). */
  timings?: TargetTimings;
}

/**
 * Where one target's time went, in seconds: `observe`, the list of Helm's records that answered
 * for it; `render`, its `helm template` at plan time (only targets the plan had to render);
 * `upgrade`, helm's install or upgrade less its wait, and reading back the revision it made;
 * `postRender`, the part of it Regatta's post-renderer took; `wait`, helm waiting for every
 * resource (hooks included) to be ready; `verdict`, recording the deploy's verdict on its
 * revision; `rollback`, bringing it back to last good.
 */
export type TargetTimings = Partial<
  Record<'observe' | 'render' | 'upgrade' | 'postRender' | 'wait' | 'verdict' | 'rollback', number>
>;

/** Why a deploy rolled back, if it did. */
export type RollbackCause = 'failure' | 'interrupt';

export interface DeployReport {
  deployId: string;
  outcomes: Outcome[];
  rolledBack: boolean;
  cause?: RollbackCause;
  /** The wave that failed (a gate or a target in it), and why. */
  wave?: string;
  reason?: string;
  /** Clusters that did not answer when their targets were to be brought back. */
  silent?: string[];
  /** The waves, in order, and how far each got. */
  waves?: { name: string; clusters: string[]; state: 'done' | 'failed' | 'not-started' | 'paused-before' }[];
  /** Paused at a manual approval before this wave: `regatta deploy --resume ID` goes on. */
  pausedBefore?: string;
  /** Emergency options it ran with (recorded in its history). */
  emergency?: string[];
}

/** The exit code a deploy's outcomes mean (see README: exit codes). */
export function deployExitCode(report: DeployReport): number {
  if (report.outcomes.some((o) => o.status === 'rollback-failed')) return 3;
  if (report.pausedBefore) return 0;
  if (report.cause === 'interrupt') return 130;
  if (report.cause === 'failure') return 1;
  if (report.outcomes.some((o) => o.status === 'failed' || o.status === 'left-alone' || o.error)) return 1;
  return 0;
}
