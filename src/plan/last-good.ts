import { DEPLOY_ID_LABEL, VERDICT_LABEL, type HelmRevision, type Verdict } from '../model/helm-release.js';

/** The revision a `Rollback to N` revision restored, if it is one. */
export function restoredRevision(
  revision: HelmRevision,
  history: readonly HelmRevision[],
): HelmRevision | undefined {
  const restored = /^Rollback to (\d+)$/.exec(revision.description)?.[1];
  if (!restored) return undefined;
  const source = history.find((candidate) => candidate.revision === Number(restored));
  return source && source !== revision ? source : undefined;
}

/** The deploy id a revision carries; a rollback revision carries the id of the revision it restored. */
export function deployIdOf(revision: HelmRevision, history: readonly HelmRevision[]): string | undefined {
  const source = restoredRevision(revision, history);
  return source ? deployIdOf(source, history) : revision.labels[DEPLOY_ID_LABEL];
}

/**
 * Pure: what is known of a revision. `good`: a fleet-wide deploy succeeded with it (or, for a
 * revision no Regatta made, helm deployed it without failure); `failed`: its deploy failed or it
 * failed itself; `undecided`: a Regatta deploy made it and never concluded (interrupted, or still
 * running under the lock).
 */
export function verdictOf(revision: HelmRevision, history: readonly HelmRevision[]): Verdict | 'undecided' {
  const source = restoredRevision(revision, history);
  if (source) return verdictOf(source, history);
  const label = revision.labels[VERDICT_LABEL];
  if (label === 'good' || label === 'failed') return label;
  if (revision.status === 'failed' || /failed/i.test(revision.description)) return 'failed';
  if (revision.labels[DEPLOY_ID_LABEL]) return 'undecided';
  // Made by helm or another tool: helm's own statuses are all there is to go on.
  return revision.status === 'deployed' || revision.status === 'superseded' ? 'good' : 'failed';
}

/**
 * Pure: the rollback target — the newest revision that a successful deploy left healthy, never a
 * failed or undecided one. Undefined when there is none (a first install to undo, or nothing safe).
 */
export function lastGoodRevision(history: readonly HelmRevision[]): HelmRevision | undefined {
  return [...history]
    .sort((a, b) => a.revision - b.revision)
    .filter((revision) => revision.status !== 'uninstalled' && revision.status !== 'uninstalling')
    .filter((revision) => verdictOf(revision, history) === 'good')
    .at(-1);
}
