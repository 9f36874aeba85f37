import { revealSecretsForFlux } from '../values/secret.js';
import { applyObjects } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { UserError } from '../errors.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';
import type { Release } from '../model/release.js';
import type { Progress } from '../report/progress.js';
import {
  chartRepositoryAuthObject,
  FLUX_NAMESPACE,
  namespaceObject,
  secretValuesObject,
  syncObjects,
  type FluxObject,
} from './objects.js';
import type { SecretsDelivery } from './external-secrets.js';
import { requireExternalSecretsOperator } from './external-secrets-check.js';
import { clusterFolder } from './render.js';
import { vaultSecrets } from './secret-versions.js';

export interface BootstrapOptions {
  fleet: Fleet;
  environment: Environment;
  clusters: readonly Cluster[];
  releases: readonly Release[];
  repo: string;
  branch: string;
  env: NodeJS.ProcessEnv;
  progress: Progress;
  /** Default: Regatta reads Vault and creates the Secrets the HelmReleases read. */
  secrets?: SecretsDelivery;
}

/** Each release's valuesFrom Secret for one cluster, with its namespace (the Secret must exist before the HelmRelease). */
export function secretValuesObjects(
  releases: readonly Release[],
  cluster: Cluster,
  secrets: (release: Release, cluster: Cluster) => Record<string, string>,
): FluxObject[] {
  return releases
    .filter((release) => release.secrets.length > 0)
    .flatMap((release) => [
      namespaceObject(release.namespace),
      secretValuesObject(release, secrets(release, cluster)),
    ]);
}

export interface BootstrapOutcome {
  cluster: string;
  path: string;
  secrets: number;
}

function chartRepositoryAuth(environment: Environment, env: NodeJS.ProcessEnv): FluxObject[] {
  const auth = environment.chartRepository?.basicAuth;
  if (!auth) return [];
  const password = env[auth.passwordEnv];
  if (!password)
    throw new UserError(`${auth.passwordEnv} is not set: the chart repository's password for Flux`, {
      hint: `export ${auth.passwordEnv}; Regatta stores it in a Secret in ${FLUX_NAMESPACE} of each cluster, never in git`,
    });
  return [chartRepositoryAuthObject(environment.name, auth.username, password)];
}

/**
 * Per cluster, what bootstrap applies: the flux-system namespace, the chart repository's
 * credentials, the Secrets the HelmReleases read (every one read from Vault first, so nothing is
 * applied when one is missing; none with external-secrets, and Vault is not asked), then the
 * GitRepository and Kustomization.
 */
export async function bootstrapObjects(
  options: Omit<BootstrapOptions, 'progress'>,
): Promise<Map<string, FluxObject[]>> {
  const { environment, clusters } = options;
  if (environment.engine !== 'flux')
    throw new UserError(`environment ${environment.name} is deployed by helm, not Flux`, {
      position: { file: options.fleet.file },
      hint: `set environments.${environment.name}.engine: flux`,
    });
  const releases = options.releases.filter((release) => release.environment === environment.name);
  const auth = chartRepositoryAuth(environment, options.env);
  const secrets = await vaultSecrets({
    delivery: options.secrets ?? { source: 'vault' },
    fleet: options.fleet,
    releases,
    clusters,
    env: options.env,
  });
  return new Map(
    clusters.map((cluster) => [
      cluster.name,
      [
        namespaceObject(FLUX_NAMESPACE),
        ...auth,
        ...(secrets
          ? secretValuesObjects(releases, cluster, (release, at) =>
              revealSecretsForFlux(secrets(release, at)),
            )
          : []),
        ...syncObjects({
          cluster: cluster.name,
          url: options.repo,
          branch: options.branch,
          path: clusterFolder(cluster.name),
        }),
      ],
    ]),
  );
}

/**
 * Points each cluster's Flux at its folder of the fleet repository. From then on a commit to the
 * branch reaches the cluster with no Regatta command.
 */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapOutcome[]> {
  const delivery = options.secrets ?? { source: 'vault' };
  // Before anything is applied: an ExternalSecret no operator serves would fail each whole folder.
  if (delivery.source === 'external-secrets')
    await requireExternalSecretsOperator(options.clusters, delivery.store);
  const objects = await bootstrapObjects(options);
  return Promise.all(
    options.clusters.map(async (cluster) => {
      const path = clusterFolder(cluster.name);
      const applied = objects.get(cluster.name) ?? [];
      await applyObjects(kubeTarget(cluster), applied);
      options.progress.line(`${cluster.name}: Flux syncs ${options.repo} ${options.branch} ./${path}`);
      return {
        cluster: cluster.name,
        path,
        // The valuesFrom Secrets (labelled with their release), not the chart repository's credentials.
        secrets: applied.filter((o) => o.kind === 'Secret' && o.metadata.labels?.['regatta.io/release'])
          .length,
      };
    }),
  );
}
