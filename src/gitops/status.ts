import {
  lastDriftCorrection,
  listHelmReleases,
  readHelmRelease,
  readKustomization,
  type KustomizationState,
} from '../adapters/flux.js';
import { kubeTarget } from '../deploy/clusters.js';
import type { Cluster } from '../model/fleet.js';
import { releaseKey, type Release } from '../model/release.js';
import { FLUX_NAMESPACE, MANAGED_BY, SYNC_NAME } from './objects.js';
import { helmReleaseReadiness, type HelmReleaseState } from './readiness.js';

export interface GitopsStatusRow {
  release: string;
  cluster: string;
  /** The fleet commit the cluster's Flux last applied (short), or `-`. */
  applied: string;
  /** The chart version of the newest Helm release Flux recorded, or `-`. */
  chart: string;
  state: 'ready' | 'progressing' | 'failed' | 'absent';
  reason: string;
  /** Flux's last correction of drift (a change made in the cluster behind git's back), or `-`. */
  drift: string;
}

/** `main@sha1:0123…` → `01234567`. */
function shortRevision(revision: string | undefined): string {
  const commit = revision?.split(':').pop();
  return commit ? commit.slice(0, 8) : '-';
}

/** Pure: one release in one cluster as Flux reports it. */
export function statusRow(
  release: string,
  cluster: string,
  helmRelease: HelmReleaseState | undefined,
  sync: KustomizationState | undefined,
  drift?: { at: string; failed: boolean },
): GitopsStatusRow {
  const base = {
    release,
    cluster,
    applied: shortRevision(sync?.lastAppliedRevision),
    drift: drift ? `${drift.failed ? 'correction FAILED' : 'corrected'} ${drift.at}` : '-',
  };
  if (!helmRelease) return { ...base, chart: '-', state: 'absent', reason: 'no HelmRelease in the cluster' };
  const readiness = helmReleaseReadiness(helmRelease, {});
  return {
    ...base,
    chart: helmRelease.history[0]?.chartVersion ?? '-',
    state: readiness.state,
    reason: readiness.state === 'ready' ? '' : readiness.reason,
  };
}

/** Every release × cluster of a Flux environment, read from the clusters. */
export async function gitopsStatus(
  releases: readonly Pick<Release, 'name' | 'namespace'>[],
  clusters: readonly Cluster[],
): Promise<GitopsStatusRow[]> {
  const perCluster = await Promise.all(
    clusters.map(async (cluster) => {
      const target = kubeTarget(cluster);
      const sync = await readKustomization(target, FLUX_NAMESPACE, SYNC_NAME);
      return Promise.all(
        releases.map(async (release) =>
          statusRow(
            releaseKey(release),
            cluster.name,
            await readHelmRelease(target, release.namespace, release.name),
            sync,
            await lastDriftCorrection(target, release.namespace, release.name),
          ),
        ),
      );
    }),
  );
  return perCluster
    .flat()
    .sort((a, b) => a.release.localeCompare(b.release) || a.cluster.localeCompare(b.cluster));
}

/**
 * The releases Regatta committed to a Flux environment, as its clusters hold them (`name` or
 * `name.namespace` filters; none: all) — status needs no release file.
 */
export async function committedReleases(
  clusters: readonly Cluster[],
  names: readonly string[],
): Promise<{ name: string; namespace: string }[]> {
  const found = new Map<string, { name: string; namespace: string }>();
  for (const cluster of clusters)
    for (const ref of await listHelmReleases(kubeTarget(cluster), MANAGED_BY))
      if (names.length === 0 || names.includes(ref.name) || names.includes(releaseKey(ref)))
        found.set(releaseKey(ref), ref);
  return [...found.values()];
}
