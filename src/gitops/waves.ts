import { UserError } from '../errors.js';
import type { Cluster, Fleet } from '../model/fleet.js';
import type { PlanEntry } from '../model/plan.js';
import { releaseKey, replicasFor } from '../model/release.js';
import { planWaves, type PlannedWave, type WaveOptions } from '../plan/waves.js';
import type { GitopsRelease } from './render.js';

/**
 * Pure: what a Flux deploy's waves and gates are judged on — one entry per release × cluster,
 * shaped like the helm engine's plan so the same wave planner and gates serve both engines.
 * Flux itself decides whether an upgrade is needed, so every entry is an `upgrade`.
 */
export function gitopsEntries(releases: readonly GitopsRelease[], clusters: readonly Cluster[]): PlanEntry[] {
  return releases.flatMap(({ release, origin }) =>
    clusters
      .filter((cluster) => cluster.env === release.environment)
      .map((cluster) => ({
        target: {
          release: release.name,
          namespace: release.namespace,
          environment: release.environment,
          cluster: cluster.name,
          context: cluster.context,
          ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}),
          chartName: release.chart.name,
          chartVersion: origin.version,
          chartDigest: '',
          chart:
            origin.kind === 'git'
              ? { kind: 'path' as const, path: release.chart.path ?? origin.path }
              : { kind: 'repo' as const, repoUrl: '', name: release.chart.name, version: origin.version },
          replicas: replicasFor(release, cluster.name),
          secretIds: release.secrets.map((secret) => secret.secretId),
          ...(release.slackChannel ? { slackChannel: release.slackChannel } : {}),
          releaseFile: release.file,
        },
        action: 'upgrade' as const,
        reasons: [],
      })),
  );
}

/**
 * Pure: a Flux deploy's waves. Flux applies a cluster's folder as one unit, so a wave is a set of
 * whole clusters: releases whose own `spec.rollout` would put one cluster in two waves cannot be
 * delivered through git wave by wave (exit 2 at the release that disagrees).
 */
export function gitopsWaves(
  releases: readonly GitopsRelease[],
  clusters: readonly Cluster[],
  fleet: Fleet,
  options: WaveOptions,
): PlannedWave[] {
  const entries = gitopsEntries(releases, clusters);
  const waves = planWaves(
    { entries },
    releases.map(({ release }) => release),
    fleet,
    options,
  );
  const waveOfCluster = new Map<string, string>();
  for (const wave of waves)
    for (const entry of wave.entries) {
      const other = waveOfCluster.get(entry.target.cluster);
      if (other !== undefined && other !== wave.name) {
        const release = releases.find(
          (r) => releaseKey(r.release) === `${entry.target.release}.${entry.target.namespace}`,
        )!.release;
        throw new UserError(
          `release ${releaseKey(release)} puts cluster ${entry.target.cluster} in wave ${wave.name}, another release puts it in wave ${other}`,
          {
            position: release.position,
            hint: 'with engine: flux a cluster is committed whole, in one wave: give every release of the environment the same waves (or none: the environment’s)',
          },
        );
      }
      waveOfCluster.set(entry.target.cluster, wave.name);
    }
  return waves;
}
