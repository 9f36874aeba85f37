import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readObject, type KubeObject } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { resolveSecrets } from '../deploy/secrets.js';
import type { Cluster, Fleet } from '../model/fleet.js';
import type { Secret } from '../values/secret.js';
import type { SecretsDelivery } from './external-secrets.js';
import { releaseKey, type Release } from '../model/release.js';
import {
  namespaceObject,
  secretValuesContent,
  secretValuesName,
  secretValuesObject,
  SECRET_VALUES_KEY,
} from './objects.js';
import { clusterFolder, type GitopsRelease } from './render.js';

/**
 * Every secret value the HelmReleases will read, from Vault, before anything changes; undefined
 * with external-secrets: then Regatta never asks Vault — the operator in each cluster does.
 */
export async function vaultSecrets(options: {
  delivery: SecretsDelivery;
  fleet: Fleet;
  releases: readonly Release[];
  clusters: readonly Cluster[];
  env: NodeJS.ProcessEnv;
}): Promise<((release: Release, cluster: Cluster) => Record<string, Secret>) | undefined> {
  if (options.delivery.source === 'external-secrets') return undefined;
  return resolveSecrets(
    options.fleet,
    options.releases.map((release) => ({ release, clusters: options.clusters })),
    options.env,
  );
}

/**
 * Pure: the Secret a HelmRelease should read. The one the branch references already, while it
 * holds exactly these values; else a new one named after this deploy — so the commit that
 * changes secret values changes the HelmRelease too, and its revert points back at the old
 * Secret, still there with the old values.
 */
export function chooseSecretName(
  previous: { name: string; content: string | undefined } | undefined,
  content: string,
  fresh: string,
): { name: string; create: boolean } {
  if (previous && previous.content === content) return { name: previous.name, create: false };
  return { name: fresh, create: true };
}

/** The valuesFrom Secret the branch's file for this release references, if any. */
function referencedSecret(checkout: string, cluster: Cluster, release: Release): string | undefined {
  const file = join(checkout, clusterFolder(cluster.name), 'releases', `${releaseKey(release)}.yaml`);
  if (!existsSync(file)) return undefined;
  const object = parse(readFileSync(file, 'utf8')) as {
    spec?: { valuesFrom?: { kind: string; name: string }[] };
  };
  return object.spec?.valuesFrom?.find((source) => source.kind === 'Secret')?.name;
}

async function liveContent(cluster: Cluster, namespace: string, name: string): Promise<string | undefined> {
  const secret = await readObject<KubeObject & { data?: Record<string, string> }>(kubeTarget(cluster), {
    apiVersion: 'v1',
    kind: 'Secret',
    name,
    namespace,
  });
  const encoded = secret?.data?.[SECRET_VALUES_KEY];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}

export interface VersionedSecrets {
  releases: GitopsRelease[];
  /** Per cluster name: the Secrets (with their namespaces) to create before the commit is pushed. */
  objects: Map<string, KubeObject[]>;
}

/** Chooses every release × cluster's valuesFrom Secret against the branch's files and the live Secrets. */
export async function versionSecrets(options: {
  checkout: string;
  releases: readonly GitopsRelease[];
  clusters: readonly Cluster[];
  secrets: (release: Release, cluster: Cluster) => Record<string, string>;
  deployId: string;
}): Promise<VersionedSecrets> {
  const objects = new Map<string, KubeObject[]>(options.clusters.map((cluster) => [cluster.name, []]));
  const releases = await Promise.all(
    options.releases.map(async (entry) => {
      const { release } = entry;
      if (release.secrets.length === 0) return entry;
      const names = new Map<string, string>();
      for (const cluster of options.clusters) {
        const values = options.secrets(release, cluster);
        const referenced = referencedSecret(options.checkout, cluster, release);
        const previous = referenced
          ? { name: referenced, content: await liveContent(cluster, release.namespace, referenced) }
          : undefined;
        const choice = chooseSecretName(
          previous,
          secretValuesContent(values),
          secretValuesName(release, options.deployId),
        );
        names.set(cluster.name, choice.name);
        if (choice.create)
          objects
            .get(cluster.name)
            ?.push(namespaceObject(release.namespace), secretValuesObject(release, values, choice.name));
      }
      return { ...entry, secretNames: names };
    }),
  );
  return { releases, objects };
}
