import { chartRepositoryOf, type ChartRepository, type Cluster, type Environment } from '../model/fleet.js';
import { releaseKey, type ReplicaCount, type Release } from '../model/release.js';
import type { Values } from '../values/layer.js';

/** Flux's API versions this compiler writes (Flux 2.7: source v1.7, helm v1.4, kustomize v1.7). */
export const FLUX_API = {
  helmRelease: 'helm.toolkit.fluxcd.io/v2',
  helmRepository: 'source.toolkit.fluxcd.io/v1',
  gitRepository: 'source.toolkit.fluxcd.io/v1',
  ociRepository: 'source.toolkit.fluxcd.io/v1',
  kustomization: 'kustomize.toolkit.fluxcd.io/v1',
} as const;

export const FLUX_NAMESPACE = 'flux-system';
/** The GitRepository and Kustomization (in flux-system) that sync a cluster's folder. */
export const SYNC_NAME = 'regatta-fleet';
/** The Secret (in the release's namespace) whose `values.yaml` carries the resolved secrets. */
export const SECRET_VALUES_KEY = 'values.yaml';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'regatta' };

export interface FluxObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Where a release's chart comes from, already resolved to one exact version. */
export type ChartOrigin =
  | { kind: 'repository'; version: string }
  /** A chart_path release: the application's git repository, branch and the chart's folder in it. */
  | { kind: 'git'; version: string; url: string; branch: string; path: string };

export const helmRepositoryName = (environment: string) => `regatta-${environment}`;
export const ociRepositoryName = (release: Release) => `${release.name}-${release.namespace}`;
export const gitChartSourceName = (release: Release) => `${release.name}-${release.namespace}-chart`;
/**
 * The valuesFrom Secret of a release. `gitops deploy` versions it (`-<deploy id>` of the deploy
 * that last changed its values) so that a revert in git also returns to the previous secrets.
 */
export const secretValuesName = (release: Release, version?: string) =>
  `regatta-${release.name}-secrets${version ? `-${version.toLowerCase().replace(/[^a-z0-9-]/g, '-')}` : ''}`;
export const chartRepositoryAuthName = (environment: string) => `regatta-${environment}-auth`;

/** The ChartMuseum repository of an environment, shared by its releases. */
export function helmRepository(environment: Environment): FluxObject {
  const repository = chartRepositoryOf(environment);
  return {
    apiVersion: FLUX_API.helmRepository,
    kind: 'HelmRepository',
    metadata: { name: helmRepositoryName(environment.name), namespace: FLUX_NAMESPACE, labels: MANAGED_BY },
    spec: {
      interval: '1m',
      url: repository.url,
      // The password lives in a Secret Regatta creates in each cluster, never in git.
      ...(repository.basicAuth ? { secretRef: { name: chartRepositoryAuthName(environment.name) } } : {}),
    },
  };
}

/** An OCI chart at one exact tag: OCIRepository is per artifact, so per release. */
export function ociRepository(release: Release, repository: ChartRepository, version: string): FluxObject {
  const base = repository.url.replace(/^oci:\/\//, '');
  return {
    apiVersion: FLUX_API.ociRepository,
    kind: 'OCIRepository',
    metadata: { name: ociRepositoryName(release), namespace: FLUX_NAMESPACE, labels: MANAGED_BY },
    spec: {
      interval: '1m',
      url: `oci://${base}/${release.chart.name}`,
      ref: { tag: version },
      layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
      ...(repository.plainHttp ? { insecure: true } : {}),
    },
  };
}

/** The application's own repository, for a chart kept next to the code. */
export function gitChartSource(release: Release, origin: Extract<ChartOrigin, { kind: 'git' }>): FluxObject {
  return {
    apiVersion: FLUX_API.gitRepository,
    kind: 'GitRepository',
    metadata: { name: gitChartSourceName(release), namespace: FLUX_NAMESPACE, labels: MANAGED_BY },
    spec: {
      interval: '1m',
      url: origin.url,
      // The whole repository: a chart may depend on a sibling folder (file://../common).
      ref: { branch: origin.branch },
    },
  };
}

/** The values a release×cluster's HelmRelease holds inline: everything but the secret values. */
export function inlineValues(values: Values, secretIds: readonly string[]): Values {
  if (secretIds.length === 0) return values;
  // Flux merges spec.values over valuesFrom; the secrets layer must stay on top, as with helm.
  const secrets = { ...((values.secrets as Values | undefined) ?? {}) };
  for (const id of secretIds) delete secrets[id];
  const rest: Values = { ...values };
  delete rest.secrets;
  return Object.keys(secrets).length > 0 ? { ...rest, secrets } : rest;
}

/**
 * Per-cluster replica counts as Flux applies them: a post-renderer cannot be a program in a
 * HelmRelease, but kustomize patches can, and they reach subcharts and charts that read no such
 * value, like Regatta's post-renderer does. `add` sets the field whether or not the chart wrote it.
 */
function replicaPatches(replicas: readonly ReplicaCount[]): Record<string, unknown>[] {
  return [...replicas]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((replica) => ({
      target: { kind: 'Deployment|StatefulSet', name: replica.name },
      patch: JSON.stringify([{ op: 'add', path: '/spec/replicas', value: replica.count }]),
    }));
}

export interface HelmReleaseInput {
  release: Release;
  cluster: Cluster;
  environment: Environment;
  origin: ChartOrigin;
  /** Layered values for this cluster (secrets not included). */
  values: Values;
  replicas: readonly ReplicaCount[];
  /** Deployments/StatefulSets whose spec.replicas an HPA owns: drift there is not corrected. */
  hpaTargets: readonly { kind: string; name: string }[];
  /** How long helm-controller waits for the rollout before the upgrade fails. */
  timeoutSeconds: number;
  /** The valuesFrom Secret's name, when versioned (see secretValuesName). */
  secretName?: string;
}

function chartSpec(input: HelmReleaseInput): Record<string, unknown> {
  const { release, environment, origin } = input;
  if (origin.kind === 'git') {
    return {
      chart: {
        spec: {
          chart: `./${origin.path}`,
          // A chart in git changes without its version changing: follow the commit.
          reconcileStrategy: 'Revision',
          sourceRef: { kind: 'GitRepository', name: gitChartSourceName(release), namespace: FLUX_NAMESPACE },
        },
      },
    };
  }
  if (chartRepositoryOf(environment).type === 'oci') {
    return {
      chartRef: { kind: 'OCIRepository', name: ociRepositoryName(release), namespace: FLUX_NAMESPACE },
    };
  }
  return {
    chart: {
      spec: {
        chart: release.chart.name,
        version: origin.version,
        reconcileStrategy: 'ChartVersion',
        sourceRef: {
          kind: 'HelmRepository',
          name: helmRepositoryName(environment.name),
          namespace: FLUX_NAMESPACE,
        },
      },
    },
  };
}

/**
 * One release in one cluster as a HelmRelease. Flux's own remediation is off (no retries, no
 * rollback of the last failure, no uninstall): a failure is reported and the fleet decides,
 * by reverting in git, so every cluster returns to last good together.
 */
export function helmRelease(input: HelmReleaseInput): FluxObject {
  const { release, cluster } = input;
  const secretIds = release.secrets.map((secret) => secret.secretId);
  const patches = replicaPatches(input.replicas);
  const ignore = [...input.hpaTargets]
    .sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`))
    .map((target) => ({ paths: ['/spec/replicas'], target: { kind: target.kind, name: target.name } }));
  return {
    apiVersion: FLUX_API.helmRelease,
    kind: 'HelmRelease',
    metadata: {
      name: release.name,
      namespace: release.namespace,
      labels: {
        ...MANAGED_BY,
        'regatta.io/release': releaseKey(release),
        'regatta.io/environment': release.environment,
        'regatta.io/cluster': cluster.name,
      },
    },
    spec: {
      releaseName: release.name,
      interval: '10m',
      // Helm's wait for the rollout, as `regatta deploy --timeout` is for the helm engine.
      timeout: `${input.timeoutSeconds}s`,
      ...chartSpec(input),
      install: { remediation: { retries: 0 } },
      upgrade: { remediation: { retries: 0, remediateLastFailure: false }, cleanupOnFail: false },
      driftDetection: { mode: 'enabled', ...(ignore.length > 0 ? { ignore } : {}) },
      ...(patches.length > 0 ? { postRenderers: [{ kustomize: { patches } }] } : {}),
      ...(secretIds.length > 0
        ? {
            valuesFrom: [
              {
                kind: 'Secret',
                name: input.secretName ?? secretValuesName(release),
                valuesKey: SECRET_VALUES_KEY,
              },
            ],
          }
        : {}),
      values: inlineValues(input.values, secretIds),
    },
  };
}

export function namespaceObject(name: string): FluxObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: MANAGED_BY } };
}

/** What points one cluster's Flux at its folder: the fleet repository and the Kustomization applying the folder. */
export function syncObjects(options: {
  cluster: string;
  url: string;
  branch: string;
  path: string;
}): FluxObject[] {
  return [
    {
      apiVersion: FLUX_API.gitRepository,
      kind: 'GitRepository',
      metadata: { name: SYNC_NAME, namespace: FLUX_NAMESPACE, labels: MANAGED_BY },
      spec: { interval: '1m', url: options.url, ref: { branch: options.branch } },
    },
    {
      apiVersion: FLUX_API.kustomization,
      kind: 'Kustomization',
      metadata: { name: SYNC_NAME, namespace: FLUX_NAMESPACE, labels: MANAGED_BY },
      spec: {
        interval: '10m',
        path: `./${options.path}`,
        prune: true,
        sourceRef: { kind: 'GitRepository', name: SYNC_NAME },
      },
    },
  ];
}

/**
 * The Secret a HelmRelease reads its secret values from (`valuesFrom`), in the release's
 * namespace: `values.yaml` holds `secrets: {id: value}`, the helm engine's secrets layer.
 * Built at apply time only; never written to the rendered tree.
 */
export function secretValuesObject(
  release: Release,
  secrets: Readonly<Record<string, string>>,
  name = secretValuesName(release),
): FluxObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: release.namespace,
      labels: { ...MANAGED_BY, 'regatta.io/release': releaseKey(release) },
    },
    type: 'Opaque',
    stringData: { [SECRET_VALUES_KEY]: secretValuesContent(secrets) },
  };
}

/** A JSON string, also escaping what YAML 1.1 reads as a line break or refuses raw (JSON does not). */
const yamlQuoted = (text: string) =>
  JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/**
 * The `values.yaml` of a valuesFrom Secret: the secrets layer, keys sorted (so equal values
 * compare equal). Every id and value double-quoted: helm-controller reads this file as YAML 1.1
 * (go-yaml v2), where an unquoted `yes`, `on` or `1_000` would become a bool or a number.
 * The same text as the external-secrets template (external-secrets.ts, valuesTemplate).
 */
export function secretValuesContent(secrets: Readonly<Record<string, string>>): string {
  const lines = Object.entries(secrets)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, value]) => `  ${yamlQuoted(id)}: ${yamlQuoted(value)}\n`);
  return lines.length > 0 ? `secrets:\n${lines.join('')}` : 'secrets: {}\n';
}

/** ChartMuseum basic auth for an environment's HelmRepository, in flux-system. */
export function chartRepositoryAuthObject(
  environment: string,
  username: string,
  password: string,
): FluxObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: chartRepositoryAuthName(environment), namespace: FLUX_NAMESPACE, labels: MANAGED_BY },
    type: 'Opaque',
    stringData: { username, password },
  };
}
