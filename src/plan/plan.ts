import { parseAllDocuments } from 'yaml';
import { UserError } from '../errors.js';
import type { Cluster, Environment } from '../model/fleet.js';
import type { ChartReference, PlanEntry, PlannedTarget } from '../model/plan.js';
import type { Release } from '../model/release.js';
import { sameValues } from '../values/secret.js';
import { applyReplicaCounts } from './scaling.js';

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
    replicas: release.scaling.find((entry) => entry.cluster === cluster.name)?.replicas ?? [],
    secretIds: release.secrets.map((secret) => secret.secretId),
    slackChannel: release.slackChannel,
    releaseFile: release.file,
  };
}

/** What is live for a release in a cluster: its newest revision. */
export interface LiveRevision {
  revision: number;
  status: string;
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

export interface ManifestObject {
  key: string;
  kind: string;
  name: string;
  object: Record<string, unknown>;
}

/** The objects of a rendered manifest, hooks left out (Helm stores them apart from the manifest). */
export function manifestObjects(manifest: string, defaultNamespace: string): ManifestObject[] {
  const documents = parseAllDocuments(manifest);
  return (Array.isArray(documents) ? documents : [])
    .map((document) => document.toJS() as Record<string, unknown> | null)
    .filter(
      (object): object is Record<string, unknown> =>
        !!object && typeof object === 'object' && 'kind' in object,
    )
    .filter(
      (object) =>
        !(object.metadata as { annotations?: Record<string, string> })?.annotations?.['helm.sh/hook'],
    )
    .map((object) => {
      const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
      const kind = String(object.kind);
      const name = metadata.name ?? '';
      return { key: `${kind}/${metadata.namespace ?? defaultNamespace}/${name}`, kind, name, object };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

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
  if (live.chartVersion !== target.chartVersion)
    reasons.push(`chart ${live.chartVersion} → ${target.chartVersion}`);
  if (scaled) {
    const wanted = manifestObjects(scaled.manifest, target.namespace);
    const current = manifestObjects(live.manifest, target.namespace);
    if (!sameJson(wanted, current)) reasons.push('manifests differ');
  }
  if (!sameValues(values, live.config)) reasons.push('values differ');
  if (live.status !== 'deployed') reasons.push(`live revision is ${live.status}`);
  return {
    target,
    action: reasons.length > 0 ? 'upgrade' : 'unchanged',
    currentRevision: live.revision,
    currentChartVersion: live.chartVersion,
    reasons,
  };
}
