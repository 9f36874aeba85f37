import { listHelmRevisions, type HelmRevision } from '../adapters/kube.js';
import type { Cluster } from '../model/fleet.js';
import { assertKubeContexts, kubeTarget } from './clusters.js';
import { DEPLOY_ID_LABEL } from './execute.js';

export interface ReleaseCell {
  chartVersion: string;
  revision: number;
  deployId?: string;
  status: string;
}

/** releases × clusters; a missing cell: not installed there. */
export interface StatusMatrix {
  clusters: string[];
  releases: { release: string; namespace: string; cells: Record<string, ReleaseCell | undefined> }[];
  unreachable: Record<string, string>;
}

/** The deploy id a revision carries; a rollback revision inherits the id of the revision it restored. */
export function deployIdOf(revision: HelmRevision, history: readonly HelmRevision[]): string | undefined {
  const restored = /^Rollback to (\d+)$/.exec(revision.description)?.[1];
  if (restored) {
    const source = history.find((candidate) => candidate.revision === Number(restored));
    if (source && source !== revision) return deployIdOf(source, history);
  }
  return revision.labels[DEPLOY_ID_LABEL];
}

export async function releaseRevisions(clusters: readonly Cluster[], names: readonly string[]) {
  assertKubeContexts(clusters);
  const byCluster = new Map<string, HelmRevision[]>();
  const unreachable: Record<string, string> = {};
  await Promise.all(
    clusters.map(async (cluster) => {
      try {
        const revisions = await listHelmRevisions(kubeTarget(cluster), {});
        byCluster.set(
          cluster.name,
          revisions.filter(
            (r) => names.length === 0 || names.includes(r.name) || names.includes(`${r.name}.${r.namespace}`),
          ),
        );
      } catch (error) {
        unreachable[cluster.name] = (error as Error).message.split('\n')[0] ?? 'unreachable';
      }
    }),
  );
  return { byCluster, unreachable };
}

export async function statusMatrix(
  clusters: readonly Cluster[],
  names: readonly string[],
): Promise<StatusMatrix> {
  const { byCluster, unreachable } = await releaseRevisions(clusters, names);
  const rows = new Map<string, StatusMatrix['releases'][number]>();
  for (const [cluster, revisions] of byCluster) {
    for (const revision of revisions) {
      const key = `${revision.name}.${revision.namespace}`;
      const history = revisions.filter((r) => r.name === revision.name && r.namespace === revision.namespace);
      if (revision !== history.at(-1)) continue;
      const row = rows.get(key) ?? { release: revision.name, namespace: revision.namespace, cells: {} };
      row.cells[cluster] = {
        chartVersion: revision.chartVersion,
        revision: revision.revision,
        deployId: deployIdOf(revision, history),
        status: revision.status,
      };
      rows.set(key, row);
    }
  }
  return {
    clusters: clusters.map((c) => c.name),
    releases: [...rows.values()].sort((a, b) =>
      `${a.release}.${a.namespace}`.localeCompare(`${b.release}.${b.namespace}`),
    ),
    unreachable,
  };
}

export interface HistoryEntry {
  deployId: string;
  clusters: Record<string, { revision: number; status: string; chartVersion: string; updated?: string }>;
}

/** Pure: deploy ids of one release over time (oldest first), with the clusters each reached. */
export function historyOf(byCluster: ReadonlyMap<string, readonly HelmRevision[]>): HistoryEntry[] {
  const entries = new Map<string, HistoryEntry>();
  for (const [cluster, revisions] of byCluster) {
    for (const revision of revisions) {
      if (revision.description.startsWith('Rollback')) continue; // restores an earlier deploy
      const deployId = revision.labels[DEPLOY_ID_LABEL] ?? '(not deployed by regatta)';
      const entry = entries.get(deployId) ?? { deployId, clusters: {} };
      entry.clusters[cluster] = {
        revision: revision.revision,
        status: revision.status,
        chartVersion: revision.chartVersion,
        updated: revision.updated,
      };
      entries.set(deployId, entry);
    }
  }
  return [...entries.values()].sort((a, b) => a.deployId.localeCompare(b.deployId));
}

export async function releaseHistory(
  clusters: readonly Cluster[],
  name: string,
): Promise<{ entries: HistoryEntry[]; unreachable: Record<string, string> }> {
  const { byCluster, unreachable } = await releaseRevisions(clusters, [name]);
  return { entries: historyOf(byCluster), unreachable };
}
