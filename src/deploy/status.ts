import { listHelmRevisions } from '../adapters/helm-storage.js';
import { listLeases } from '../adapters/kube-lease.js';
import { PAUSED_BEFORE } from '../plan/lease.js';
import { retryTransient } from '../adapters/transient.js';
import { mapBounded } from '../concurrency.js';
import type { Cluster } from '../model/fleet.js';
import type { HelmRevision, HelmStatus } from '../model/helm-release.js';
import { deployIdOf, verdictOf } from '../plan/last-good.js';
import { historyOf, type HistoryEntry } from '../plan/history.js';

export { historyOf, type HistoryEntry };
import { assertKubeContexts, kubeTarget } from './clusters.js';

export { deployIdOf };

export interface ReleaseCell {
  chartVersion: string;
  revision: number;
  deployId?: string;
  status: HelmStatus;
  verdict: ReturnType<typeof verdictOf>;
}

/** A deploy holding a release's lock: running, or paused at an approval. */
export interface HeldLock {
  deployId: string;
  release: string;
  clusters: string[];
  pausedBefore?: string;
}

/** releases × clusters; a missing cell: not installed there. */
export interface StatusMatrix {
  clusters: string[];
  releases: { release: string; namespace: string; cells: Record<string, ReleaseCell | undefined> }[];
  unreachable: Record<string, string>;
  /** Deploys that hold locks now (a paused one says before which wave). */
  locks: HeldLock[];
}

/** The Regatta locks held in these clusters, grouped by deploy and release. */
async function heldLocks(clusters: readonly Cluster[], names: readonly string[]): Promise<HeldLock[]> {
  const found = new Map<string, HeldLock>();
  await mapBounded(clusters, 8, async (cluster) => {
    const leases = await retryTransient(() => listLeases(kubeTarget(cluster)), { attempts: 2 }).catch(
      () => [],
    );
    for (const lease of leases) {
      const release = `${lease.name.replace(/^regatta-lock\./, '')}.${lease.namespace}`;
      if (names.length > 0 && !names.some((n) => n === release || n === release.split('.')[0])) continue;
      const key = `${lease.holder}\0${release}`;
      const entry = found.get(key) ?? {
        deployId: lease.holder ?? '?',
        release,
        clusters: [],
        pausedBefore: lease.annotations[PAUSED_BEFORE],
      };
      entry.clusters.push(cluster.name);
      found.set(key, entry);
    }
  });
  return [...found.values()].sort((a, b) => a.release.localeCompare(b.release));
}

/** `name` or `name.namespace` → the release name helm stores. */
const releaseName = (name: string) => name.split('.')[0] ?? name;

/**
 * The Helm records of the named releases (all when none is named) in each cluster; a cluster that
 * does not answer (after a few tries) is reported, never dropped.
 */
export async function releaseRevisions(clusters: readonly Cluster[], names: readonly string[]) {
  assertKubeContexts(clusters);
  const byCluster = new Map<string, HelmRevision[]>();
  const unreachable: Record<string, string> = {};
  await mapBounded(clusters, 8, async (cluster) => {
    try {
      const revisions = await retryTransient(
        () =>
          listHelmRevisions(
            kubeTarget(cluster),
            names.length === 0 ? {} : { names: [...new Set(names.map(releaseName))] },
          ),
        { attempts: 3 },
      );
      byCluster.set(
        cluster.name,
        revisions.filter(
          (r) => names.length === 0 || names.includes(r.name) || names.includes(`${r.name}.${r.namespace}`),
        ),
      );
    } catch (error) {
      unreachable[cluster.name] = (error as Error).message.split('\n')[0] ?? 'unreachable';
    }
  });
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
        verdict: verdictOf(revision, history),
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
    locks: await heldLocks(
      clusters.filter((c) => !unreachable[c.name]),
      names,
    ),
  };
}

export async function releaseHistory(
  clusters: readonly Cluster[],
  name: string,
): Promise<{ entries: HistoryEntry[]; unreachable: Record<string, string> }> {
  const { byCluster, unreachable } = await releaseRevisions(clusters, [name]);
  return { entries: historyOf(byCluster), unreachable };
}
