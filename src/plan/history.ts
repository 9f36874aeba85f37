import type { HelmRevision, HelmStatus } from '../model/helm-release.js';
import { deployIdOf, verdictOf } from './last-good.js';

export interface HistoryEntry {
  deployId: string;
  /** good: it succeeded everywhere; failed: it failed and was rolled back; undecided: it never finished. */
  verdict: 'good' | 'failed' | 'undecided';
  /** It is what runs now in these clusters (directly or restored by a rollback). */
  liveIn: string[];
  clusters: Record<string, { revision: number; status: HelmStatus; chartVersion: string; updated?: string }>;
}

/** Pure: deploy ids of one release over time (oldest first), with the clusters each reached. */
export function historyOf(byCluster: ReadonlyMap<string, readonly HelmRevision[]>): HistoryEntry[] {
  const entries = new Map<string, HistoryEntry>();
  for (const [cluster, revisions] of byCluster) {
    for (const revision of revisions) {
      if (/^Rollback to \d+$/.test(revision.description)) continue; // restores an earlier deploy
      const deployId = deployIdOf(revision, revisions) ?? '(not deployed by regatta)';
      const entry = entries.get(deployId) ?? { deployId, verdict: 'good', liveIn: [], clusters: {} };
      entry.clusters[cluster] = {
        revision: revision.revision,
        status: revision.status,
        chartVersion: revision.chartVersion,
        updated: revision.updated,
      };
      const verdict = verdictOf(revision, revisions);
      // One cluster's failure is the deploy's failure; an unfinished one is undecided.
      if (verdict === 'failed' || (verdict === 'undecided' && entry.verdict === 'good'))
        entry.verdict = verdict;
      entries.set(deployId, entry);
    }
    const live = revisions.at(-1);
    const liveId = live && live.status !== 'uninstalled' ? deployIdOf(live, revisions) : undefined;
    if (liveId) entries.get(liveId)?.liveIn.push(cluster);
  }
  return [...entries.values()].sort((a, b) => a.deployId.localeCompare(b.deployId));
}
