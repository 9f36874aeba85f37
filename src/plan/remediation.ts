import { DEPLOY_ID_LABEL, isPending, type HelmRevision } from '../model/helm-release.js';
import type { Outcome, RollbackCause } from '../model/outcome.js';
import { lastGoodRevision } from './last-good.js';

/** What to do with one target once a deploy has to be undone. */
export type Remedy =
  | { kind: 'none'; why: string }
  | { kind: 'leave'; why: string }
  | { kind: 'rollback'; to: number; unlock?: number }
  | { kind: 'uninstall'; unlock?: number }
  | { kind: 'stuck'; why: string; unlock?: number };

export interface RemedyInput {
  deployId: string;
  /** Every revision of the release in that cluster, as observed after the deploy stopped. */
  history: readonly HelmRevision[];
  /** The revision live before the deploy; absent for a first install. */
  previousRevision?: number;
  /** Before the deploy the release did not exist, or was uninstalled with its history kept. */
  wasAbsent: boolean;
}

/**
 * Pure: how to bring one target back to its last good state. Only a revision this deploy made is
 * ever undone; one that someone else made after it is left alone (and said so). A revision left
 * pending by a helm we stopped is unlocked first.
 */
export function decideRemedy(input: RemedyInput): Remedy {
  const latest = [...input.history].sort((a, b) => a.revision - b.revision).at(-1);
  if (!latest) return { kind: 'none', why: 'nothing of this deploy reached the cluster' };
  const ours =
    latest.labels[DEPLOY_ID_LABEL] === input.deployId && !latest.description.startsWith('Rollback to');
  if (!ours) {
    if (latest.revision === input.previousRevision && !isPending(latest.status))
      return { kind: 'none', why: 'nothing of this deploy reached the cluster' };
    if (input.previousRevision !== undefined && latest.revision < input.previousRevision)
      return { kind: 'none', why: 'nothing of this deploy reached the cluster' };
    return {
      kind: 'leave',
      why: `revision ${latest.revision} was made by ${latest.labels[DEPLOY_ID_LABEL] ? `deploy ${latest.labels[DEPLOY_ID_LABEL]}` : 'someone else'} after this deploy started`,
    };
  }
  const unlock = isPending(latest.status) ? latest.revision : undefined;
  if (input.wasAbsent) return { kind: 'uninstall', unlock };
  const before = input.history.filter(
    (r) => r.labels[DEPLOY_ID_LABEL] !== input.deployId || r.description.startsWith('Rollback to'),
  );
  const good = lastGoodRevision(before);
  if (!good) {
    // Never good anywhere, and all Regatta's own: the last good state is "not installed".
    if (before.every((r) => r.labels[DEPLOY_ID_LABEL])) return { kind: 'uninstall', unlock };
    return { kind: 'stuck', why: 'no earlier revision was ever good to go back to', unlock };
  }
  return { kind: 'rollback', to: good.revision, unlock };
}

/** Pure: the fleet-wide decision — if any target failed or the run was interrupted, undo them all. */
export function rollbackCause(outcomes: readonly Outcome[], interrupted: boolean): RollbackCause | undefined {
  if (interrupted) return 'interrupt';
  return outcomes.some((o) => o.status === 'failed' || o.status === 'interrupted') ? 'failure' : undefined;
}

/** Pure: the targets a rollback must look at — every one this deploy started. */
export const touched = (outcomes: readonly Outcome[]) =>
  outcomes.filter((o) => o.status === 'deployed' || o.status === 'failed' || o.status === 'interrupted');
