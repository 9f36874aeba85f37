import { stringify } from 'yaml';
import { chartRepositoryOf, type Cluster, type Environment } from '../model/fleet.js';
import { releaseKey, type Release, replicasFor } from '../model/release.js';
import { layerValues, type Values } from '../values/layer.js';
import {
  gitChartSource,
  helmRelease,
  helmRepository,
  inlineValues,
  namespaceObject,
  ociRepository,
  syncObjects,
  type ChartOrigin,
  type FluxObject,
} from './objects.js';
import { externalSecret, type SecretsDelivery } from './external-secrets.js';
import { configDigest } from './config-digest.js';

/** One release of the environment with everything resolved that needs I/O. */
export interface GitopsRelease {
  release: Release;
  origin: ChartOrigin;
  /** Parsed values_files, in order. */
  valuesFiles: readonly Values[];
  /** Per cluster name: Deployments/StatefulSets an HPA scales (from the rendered chart). */
  hpaTargets?: ReadonlyMap<string, readonly { kind: string; name: string }[]>;
  /**
   * Per cluster name: the versioned valuesFrom Secret (gitops deploy, secrets from Vault);
   * default its unversioned name. Not read with external-secrets, whose name is stable.
   */
  secretNames?: ReadonlyMap<string, string>;
}

export interface RenderInput {
  environment: Environment;
  clusters: readonly Cluster[];
  releases: readonly GitopsRelease[];
  /** Helm's wait for each rollout (HelmRelease spec.timeout); default 300. */
  timeoutSeconds?: number;
  /** The fleet repository and branch: when given, each folder also holds the objects that sync it. */
  sync?: { url: string; branch: string };
  /** Default: Vault, read by Regatta (nothing about secrets in the tree but valuesFrom). */
  secrets?: SecretsDelivery;
}

/** One file of the rendered tree, path relative to the output folder. */
export interface RenderedFile {
  path: string;
  content: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

export const clusterFolder = (cluster: string) => `clusters/${cluster}`;

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/**
 * YAML 1.1 quoting: kustomize-controller and helm-controller read these files with Go YAML
 * parsers that still take `1_000`, `0b11`, `on` or `12:30` for numbers and booleans, so every
 * string that YAML 1.1 could read as something else is quoted and reaches the chart a string.
 */
function documents(objects: readonly FluxObject[]): string {
  return objects
    .map((object) => stringify(object, { lineWidth: 0, sortMapEntries: false, version: '1.1' }))
    .join('---\n');
}

function sourcesFor(environment: Environment, releases: readonly GitopsRelease[]): FluxObject[] {
  const sources: FluxObject[] = [];
  const usesHelmRepository = releases.some(
    ({ origin }) => origin.kind === 'repository' && chartRepositoryOf(environment).type === 'chartmuseum',
  );
  if (usesHelmRepository) sources.push(helmRepository(environment));
  for (const { release, origin } of releases) {
    if (origin.kind === 'git') sources.push(gitChartSource(release, origin));
    else if (chartRepositoryOf(environment).type === 'oci')
      sources.push(ociRepository(release, chartRepositoryOf(environment), origin.version));
  }
  return sources.sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

/** The layered values of one release in one cluster, secrets not included. */
export function clusterValues(entry: GitopsRelease, cluster: Cluster): Values {
  return layerValues({
    files: entry.valuesFiles,
    release: entry.release.values,
    cluster,
    replicas: replicasFor(entry.release, cluster.name),
    secrets: {},
  });
}

/**
 * Pure: the configDigest helm-controller records once this release × cluster runs what was
 * rendered: its HelmRelease's inline values over its valuesFrom Secret's (`secrets`, the values
 * Regatta writes there). Undefined when the release reads secrets Regatta does not know.
 */
export function expectedConfigDigest(
  entry: GitopsRelease,
  cluster: Cluster,
  secrets: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const ids = entry.release.secrets.map((secret) => secret.secretId);
  if (ids.length > 0 && !secrets) return undefined;
  const inline = inlineValues(clusterValues(entry, cluster), ids);
  return configDigest(inline, ids.length > 0 ? [{ secrets }] : []);
}

/**
 * Pure: the complete desired state of every cluster of an environment, one folder per cluster —
 * sources, namespaces, one HelmRelease per release — deterministic (sorted, no timestamps) so a
 * render of unchanged files is byte-identical and a change reads well in a pull request.
 * No secret value can be in it: secrets are referenced through `valuesFrom`, never layered here;
 * with external-secrets each cluster's folder also holds, per release with secrets, the
 * ExternalSecret that makes that Secret — Vault paths and keys only.
 */
export function renderEnvironment(input: RenderInput): RenderedFile[] {
  const releases = input.releases
    .filter(({ release }) => release.environment === input.environment.name)
    .sort((a, b) => releaseKey(a.release).localeCompare(releaseKey(b.release)));
  const delivery = input.secrets ?? { source: 'vault' };
  const files: RenderedFile[] = [];
  for (const cluster of [...input.clusters].sort(byName)) {
    const folder = clusterFolder(cluster.name);
    const sources = sourcesFor(input.environment, releases);
    if (sources.length > 0) files.push({ path: `${folder}/sources.yaml`, content: documents(sources) });
    const namespaces = [...new Set(releases.map(({ release }) => release.namespace))].sort();
    if (namespaces.length > 0)
      files.push({ path: `${folder}/namespaces.yaml`, content: documents(namespaces.map(namespaceObject)) });
    for (const entry of releases) {
      const { release, origin, hpaTargets, secretNames } = entry;
      const replicas = replicasFor(release, cluster.name);
      const values = clusterValues(entry, cluster);
      const object = helmRelease({
        release,
        cluster,
        environment: input.environment,
        origin,
        values,
        replicas,
        hpaTargets: hpaTargets?.get(cluster.name) ?? [],
        secretName: delivery.source === 'vault' ? secretNames?.get(cluster.name) : undefined,
        timeoutSeconds: input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      });
      files.push({ path: `${folder}/releases/${releaseKey(release)}.yaml`, content: documents([object]) });
      // Its own file: the releases/ files hold one HelmRelease each (secret-versions reads them).
      if (delivery.source === 'external-secrets' && release.secrets.length > 0)
        files.push({
          path: `${folder}/external-secrets/${releaseKey(release)}.yaml`,
          content: documents([externalSecret({ release, cluster: cluster.name, store: delivery.store })]),
        });
    }
    if (input.sync) {
      files.push({
        path: `${folder}/flux-sync.yaml`,
        content: documents(syncObjects({ cluster: cluster.name, ...input.sync, path: folder })),
      });
    }
  }
  return files;
}
