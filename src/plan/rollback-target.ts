import { UserError } from '../errors.js';
import type { HelmRevision } from '../model/helm-release.js';
import { DEPLOY_ID_LABEL } from '../model/helm-release.js';
import type { HistoryEntry } from './history.js';

/**
 * Pure: `rollback --previous` — the last successful deploy before the one live now (the newest
 * live id when clusters disagree). Failed and unfinished deploys are never picked.
 */
export function previousGoodDeployId(entries: readonly HistoryEntry[], release: string): string {
  const ids = entries
    .filter((e) => !e.deployId.startsWith('('))
    .map((e) => e.deployId)
    .sort();
  const live = entries
    .filter((e) => e.liveIn.length > 0)
    .map((e) => e.deployId)
    .sort()
    .at(-1);
  const before = live ? ids.filter((id) => id < live) : ids;
  const previous = entries
    .filter((e) => before.includes(e.deployId) && e.verdict === 'good')
    .map((e) => e.deployId)
    .sort()
    .at(-1);
  if (!previous)
    throw new UserError(`release ${release} has no successful deploy before ${live ?? 'now'}`, {
      hint: '`regatta history` lists its deploys',
    });
  return previous;
}

/** Pure: `rollback --to ID` is refused for a deploy that failed or never finished, unless forced. */
export function checkRollbackTarget(
  entries: readonly HistoryEntry[],
  deployId: string,
  release: string,
  force: boolean,
): void {
  const entry = entries.find((e) => e.deployId === deployId);
  if (!entry)
    throw new UserError(`release ${release} has no deploy ${deployId}`, {
      hint: '`regatta history` lists its deploys',
    });
  if (entry.verdict !== 'good' && !force)
    throw new UserError(
      `deploy ${deployId} of ${release} ${entry.verdict === 'failed' ? 'failed' : 'never finished'}: refusing to roll back to it`,
      { hint: 'pick a successful deploy (`regatta history`), or pass --force to insist' },
    );
}

/** Pure: the revision that holds a deploy id in one cluster (its own, not a rollback's copy). */
export function revisionOfDeploy(
  revisions: readonly HelmRevision[],
  deployId: string,
): HelmRevision | undefined {
  return revisions
    .filter((r) => !r.description.startsWith('Rollback to') && r.labels[DEPLOY_ID_LABEL] === deployId)
    .at(-1);
}
