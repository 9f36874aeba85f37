import type { KubeObject } from '../adapters/kube-objects.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';
import type { Release } from '../model/release.js';
import { revealSecretsForFlux, type Secret } from '../values/secret.js';
import type { SecretsDelivery } from './external-secrets.js';
import { requireExternalSecretsOperator } from './external-secrets-check.js';
import { expectedConfigDigest, renderEnvironment, type GitopsRelease, type RenderedFile } from './render.js';
import { vaultSecrets, versionSecrets, type VersionedSecrets } from './secret-versions.js';

type SecretsOf = ((release: Release, cluster: Cluster) => Record<string, Secret>) | undefined;

/**
 * The secret values a deploy needs, read before anything changes — from Vault, or nothing with
 * external-secrets (then each cluster must run the operator and have the store).
 */
export async function readSecrets(
  options: { fleet: Fleet; clusters: readonly Cluster[]; env: NodeJS.ProcessEnv; secrets?: SecretsDelivery },
  releases: readonly GitopsRelease[],
): Promise<SecretsOf> {
  const delivery = options.secrets ?? { source: 'vault' };
  const secrets = await vaultSecrets({
    delivery,
    fleet: options.fleet,
    releases: releases.map(({ release }) => release),
    clusters: options.clusters,
    env: options.env,
  });
  if (delivery.source === 'external-secrets')
    await requireExternalSecretsOperator(options.clusters, delivery.store);
  return secrets;
}

/**
 * The configDigest each release × cluster's newest Helm release must carry once it runs the
 * rendered values with these secrets. With external-secrets (`secrets` undefined) Regatta never
 * reads the secret values, so a release that has secrets gets none: its values go unchecked.
 */
export function configDigestOf(
  secrets: SecretsOf,
): (entry: GitopsRelease, cluster: Cluster) => string | undefined {
  return (entry, cluster) =>
    expectedConfigDigest(entry, cluster, secrets && revealSecretsForFlux(secrets(entry.release, cluster)));
}

/**
 * What the fleet branch should hold, given its checkout: each release's valuesFrom Secret chosen
 * against the branch and the live Secrets (the ones to create are returned, not created), then
 * every cluster's folder rendered. Reads only: a deploy commits it, a diff compares it.
 */
export async function desiredTree(options: {
  environment: Environment;
  clusters: readonly Cluster[];
  releases: readonly GitopsRelease[];
  checkout: string;
  secrets: SecretsOf;
  deployId: string;
  timeoutSeconds: number;
  repo: string;
  branch: string;
  secretsDelivery?: SecretsDelivery;
}): Promise<{ versioned: VersionedSecrets; files: RenderedFile[] }> {
  const { secrets } = options;
  const versioned = secrets
    ? await versionSecrets({
        checkout: options.checkout,
        releases: options.releases,
        clusters: options.clusters,
        secrets: (release, cluster) => revealSecretsForFlux(secrets(release, cluster)),
        deployId: options.deployId,
      })
    : { releases: [...options.releases], objects: new Map<string, KubeObject[]>() };
  const files = renderEnvironment({
    environment: options.environment,
    clusters: options.clusters,
    releases: versioned.releases,
    timeoutSeconds: options.timeoutSeconds,
    sync: { url: options.repo, branch: options.branch },
    secrets: options.secretsDelivery ?? { source: 'vault' },
  });
  return { versioned, files };
}
