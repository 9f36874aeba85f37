import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fetchBranch, fileAtCommit, logCommits } from '../adapters/git.js';
import { deleteObject, listObjects, readObject, type KubeObject } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { resolveSecrets } from '../deploy/secrets.js';
import type { Cluster, Fleet } from '../model/fleet.js';
import type { Secret } from '../values/secret.js';
import type { SecretsDelivery } from './external-secrets.js';
import { releaseKey, type Release } from '../model/release.js';
import {
  MANAGED_BY,
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

/** Where a release's HelmRelease lives in the fleet repository. */
export const releaseFilePath = (cluster: string, release: Release) =>
  `${clusterFolder(cluster)}/releases/${releaseKey(release)}.yaml`;

/** Pure: the valuesFrom Secret a rendered HelmRelease file references, if any. */
export function secretOfFile(content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  const object = parse(content) as { spec?: { valuesFrom?: { kind: string; name: string }[] } } | null;
  return object?.spec?.valuesFrom?.find((source) => source.kind === 'Secret')?.name;
}

/** The valuesFrom Secret the branch's file for this release references, if any. */
function referencedSecret(checkout: string, cluster: Cluster, release: Release): string | undefined {
  const file = join(checkout, releaseFilePath(cluster.name, release));
  return existsSync(file) ? secretOfFile(readFileSync(file, 'utf8')) : undefined;
}

/**
 * How many revisions of a release's file keep their Secret: helm-controller's own default
 * `maxHistory` (5), so a `rollback --to` reaches as far back as Flux keeps Helm's history.
 */
export const SECRET_REVISIONS_KEPT = 5;

/** The deploy-id stamp (`20261125t143001z`) a versioned Secret's name ends with, if any. */
const stampOf = (name: string, release: Release) =>
  name.startsWith(`${secretValuesName(release)}-`)
    ? /^(\d{8}t\d{6}z)-/.exec(name.slice(secretValuesName(release).length + 1))?.[1]
    : undefined;

/**
 * Pure: the versioned valuesFrom Secrets of one release × cluster that no revision needs any
 * more. Kept: those the newest `keep` revisions of its file reference (`referenced`, newest first,
 * one per revision); those of deploys started at or after this one, and any created since this
 * one began (another deploy's, in flight: created, not yet pushed); and any whose name is not a
 * versioned one — among them the unversioned Secret `gitops bootstrap` keeps, which every
 * `gitops render` output reads (a commit of rendered files made with plain git needs it).
 */
export function unneededSecrets(input: {
  release: Release;
  live: readonly { name: string; createdAt?: string }[];
  referenced: readonly (string | undefined)[];
  deployId: string;
  /** When this deploy began (ms): a Secret created since is another deploy's, maybe not pushed yet. */
  startedAt: number;
  keep: number;
}): string[] {
  const needed = new Set(input.referenced.slice(0, input.keep));
  const ours = input.deployId.toLowerCase().slice(0, 16);
  return input.live
    .filter(({ name, createdAt }) => {
      const stamp = stampOf(name, input.release);
      const created = createdAt ? Date.parse(createdAt) : Number.POSITIVE_INFINITY;
      return (
        stamp !== undefined && stamp < ours && !needed.has(name) && created < input.startedAt - CLOCK_SKEW_MS
      );
    })
    .map(({ name }) => name);
}

/** How far the API servers' clocks may be from ours when comparing creation times. */
const CLOCK_SKEW_MS = 60_000;

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

/**
 * After a deploy succeeded: in each of its clusters, the versioned valuesFrom Secrets of its
 * releases that no revision needs any more (see unneededSecrets) are deleted. A release × cluster
 * with a single Secret — the steady state — costs no git read. Returns the names removed.
 */
export async function removeUnneededSecrets(options: {
  checkout: string;
  releases: readonly Release[];
  clusters: readonly Cluster[];
  deployId: string;
  branch: string;
  startedAt: number;
}): Promise<{ cluster: string; namespace: string; name: string }[]> {
  const removed: { cluster: string; namespace: string; name: string }[] = [];
  const withSecrets = options.releases.filter((release) => release.secrets.length > 0);
  if (withSecrets.length === 0) return removed;
  // The branch as it is now: another deploy may have pushed since this one's checkout.
  const head = await fetchBranch(options.checkout, options.branch);
  await Promise.all(
    options.clusters.map(async (cluster) => {
      const target = kubeTarget(cluster);
      const live = await listObjects<KubeObject & { metadata: { labels?: Record<string, string> } }>(
        target,
        { apiVersion: 'v1', kind: 'Secret' },
        MANAGED_BY,
      );
      for (const release of withSecrets.filter((r) => r.environment === cluster.env)) {
        const names = live
          .filter(
            (secret) =>
              secret.metadata.namespace === release.namespace &&
              secret.metadata.labels?.['regatta.io/release'] === releaseKey(release),
          )
          .map((secret) => ({
            name: secret.metadata.name,
            createdAt: secret.metadata.creationTimestamp as string | undefined,
          }));
        if (names.length < 2) continue;
        const path = releaseFilePath(cluster.name, release);
        const revisions = (await logCommits(options.checkout, [path], head)).slice(0, SECRET_REVISIONS_KEPT);
        const referenced = await Promise.all(
          revisions.map(async ({ commit }) =>
            secretOfFile(await fileAtCommit(options.checkout, commit, path)),
          ),
        );
        for (const name of unneededSecrets({
          release,
          live: names,
          referenced,
          deployId: options.deployId,
          startedAt: options.startedAt,
          keep: SECRET_REVISIONS_KEPT,
        })) {
          await deleteObject(target, {
            apiVersion: 'v1',
            kind: 'Secret',
            name,
            namespace: release.namespace,
          });
          removed.push({ cluster: cluster.name, namespace: release.namespace, name });
        }
      }
    }),
  );
  return removed;
}
