import { UserError } from '../errors.js';
import type { Cluster, Environment } from '../model/fleet.js';
import type { ChartReference, PlanEntry, PlannedTarget } from '../model/plan.js';
import { replicasFor, type Release } from '../model/release.js';
import { sameValues } from '../values/secret.js';
import { isPending, type HelmStatus, type Verdict } from '../model/helm-release.js';
import { applyReplicaCounts } from './scaling.js';
import { manifestObjects } from './manifests.js';

export function chartReference(release: Release, environment: Environment, version: string): ChartReference {
  if (release.chart.path) return { kind: 'path', path: release.chart.path };
  const repository = environment.chartRepository;
  if (!repository) throw new Error(`environment ${environment.name} has no chart repository`);
  if (repository.type === 'oci') {
    const base = repository.url.replace(/^oci:\/\//, '');
    return {
      kind: 'oci',
      url: `oci://${base}/${release.chart.name}`,
      version,
      plainHttp: repository.plainHttp,
    };
  }
  return { kind: 'repo', repoUrl: repository.url, name: release.chart.name, version };
}

export function plannedTarget(
  release: Release,
  cluster: Cluster,
  environment: Environment,
  chartVersion: string,
  chartDigest = '',
): PlannedTarget {
  return {
    release: release.name,
    namespace: release.namespace,
    environment: release.environment,
    cluster: cluster.name,
    context: cluster.context,
    kubeconfig: cluster.kubeconfig,
    chartName: release.chart.name,
    chartVersion,
    chartDigest,
    chart: chartReference(release, environment, chartVersion),
    replicas: replicasFor(release, cluster.name),
    secretIds: release.secrets.map((secret) => secret.secretId),
    slackChannel: release.slackChannel,
    releaseFile: release.file,
  };
}

/** What is live for a release in a cluster: its newest revision. */
export interface LiveRevision {
  revision: number;
  status: HelmStatus;
  /** What the deploy that made it concluded (see plan/last-good.ts). */
  verdict: Verdict | 'undecided';
  /** The deploy id that made it, if Regatta did. */
  deployId?: string;
  chartVersion: string;
  manifest: string;
  config: Record<string, unknown>;
  /** The chart digest label Regatta put on that revision, if any. */
  chartDigest?: string;
}

/**
 * Pure: a live revision Regatta deployed from the very same chart (digest) with the very same
 * values renders to its own manifest, so rendering again can be skipped (the no-op fast path).
 */
export function knownUnchanged(
  target: PlannedTarget,
  values: Record<string, unknown>,
  live: LiveRevision | undefined,
): boolean {
  return (
    !!live &&
    live.status === 'deployed' &&
    live.verdict === 'good' &&
    live.chartVersion === target.chartVersion &&
    !!target.chartDigest &&
    live.chartDigest === target.chartDigest &&
    sameValues(values, live.config)
  );
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, canonical(item)]),
    );
  }
  return value;
}

export const sameJson = (a: unknown, b: unknown) =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

export interface Decision {
  target: PlannedTarget;
  /** `helm template` output for the target's values, before scaling; absent when rendering cannot change the decision. */
  rendered?: string;
  values: Record<string, unknown>;
  live?: LiveRevision;
}

/**
 * Pure: whether rendering can change the decision. It cannot for a first install or when the
 * values differ (either way the target changes) unless replica counts must be checked against
 * the rendered objects; `diff` always renders.
 */
export function needsRender(
  target: PlannedTarget,
  values: Record<string, unknown>,
  live: LiveRevision | undefined,
): boolean {
  if (target.replicas.length > 0) return true;
  if (!live || live.status === 'uninstalled') return false;
  if (live.status !== 'deployed' || live.verdict !== 'good') return false;
  return sameValues(values, live.config);
}

/**
 * Pure: what to do with one target, given what it renders to and what is live.
 * A scaling entry naming no rendered Deployment/StatefulSet is a user error.
 */
export function decide({ target, rendered, values, live }: Decision): PlanEntry {
  const scaled = rendered === undefined ? undefined : applyReplicaCounts(rendered, target.replicas);
  if (scaled && scaled.missing.length > 0) {
    throw new UserError(
      `release ${target.release} in cluster ${target.cluster}: no Deployment or StatefulSet named ${scaled.missing.join(', ')} in the rendered chart`,
      { position: { file: target.releaseFile }, hint: 'fix the scaling entry or the chart' },
    );
  }
  if (!live) return { target, action: 'install', reasons: ['not installed'] };
  if (live.status === 'uninstalled')
    return { target, action: 'install', reasons: ['uninstalled'], overHistory: true };
  const reasons: string[] = [];
  const unlock = isPending(live.status) ? { revision: live.revision, status: live.status } : undefined;
  if (unlock) reasons.push(`revision ${live.revision} left ${live.status} by a helm that was stopped`);
  else if (live.status !== 'deployed') reasons.push(`live revision is ${live.status}`);
  else if (live.verdict === 'failed')
    reasons.push(`live revision ${live.revision} belongs to a failed deploy`);
  else if (live.verdict === 'undecided')
    reasons.push(`live revision ${live.revision} is from deploy ${live.deployId}, which never finished`);
  if (live.chartVersion !== target.chartVersion)
    reasons.push(`chart ${live.chartVersion} → ${target.chartVersion}`);
  if (scaled) {
    const wanted = manifestObjects(scaled.manifest, target.namespace);
    const current = manifestObjects(live.manifest, target.namespace);
    if (!sameJson(wanted, current)) reasons.push('manifests differ');
  }
  if (!sameValues(values, live.config)) reasons.push('values differ');
  return {
    target,
    action: reasons.length > 0 ? 'upgrade' : 'unchanged',
    currentRevision: live.revision,
    currentChartVersion: live.chartVersion,
    ...(live.deployId ? { currentDeployId: live.deployId } : {}),
    reasons,
    ...(unlock ? { unlock } : {}),
  };
}
