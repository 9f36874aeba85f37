import { revealSecretsForFlux } from '../values/secret.js';
import { applyObjects, type KubeObject } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { resolveSecrets } from '../deploy/secrets.js';
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
import { clusterFolder } from './render.js';

export interface BootstrapOptions {
  fleet: Fleet;
  environment: Environment;
  clusters: readonly Cluster[];
  releases: readonly Release[];
  repo: string;
  branch: string;
  env: NodeJS.ProcessEnv;
  progress: Progress;
}

/** Each release's valuesFrom Secret for one cluster, with its namespace (the Secret must exist before the HelmRelease). */
export function secretValuesObjects(
  releases: readonly Release[],
  cluster: Cluster,
  secrets: (release: Release, cluster: Cluster) => Record<string, string>,
): KubeObject[] {
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
 * Points each cluster's Flux at its folder of the fleet repository. Every secret is read first
 * (nothing is applied when one is missing), then per cluster: the Secrets the HelmReleases read,
 * then the GitRepository and Kustomization. From then on a commit to the branch reaches the
 * cluster with no Regatta command.
 */
export async function bootstrap(options: BootstrapOptions): Promise<BootstrapOutcome[]> {
  const { environment, clusters } = options;
  if (environment.engine !== 'flux')
    throw new UserError(`environment ${environment.name} is deployed by helm, not Flux`, {
      position: { file: options.fleet.file },
      hint: `set environments.${environment.name}.engine: flux`,
    });
  const releases = options.releases.filter((release) => release.environment === environment.name);
  const auth = chartRepositoryAuth(environment, options.env);
  const secrets = await resolveSecrets(
    options.fleet,
    releases.map((release) => ({ release, clusters })),
    options.env,
  );
  return Promise.all(
    clusters.map(async (cluster) => {
      const secretObjects = secretValuesObjects(releases, cluster, (release, at) =>
        revealSecretsForFlux(secrets(release, at)),
      );
      const path = clusterFolder(cluster.name);
      await applyObjects(kubeTarget(cluster), [
        namespaceObject(FLUX_NAMESPACE),
        ...auth,
        ...secretObjects,
        ...syncObjects({ cluster: cluster.name, url: options.repo, branch: options.branch, path }),
      ]);
      options.progress.line(`${cluster.name}: Flux syncs ${options.repo} ${options.branch} ./${path}`);
      return {
        cluster: cluster.name,
        path,
        secrets: secretObjects.filter((o) => o.kind === 'Secret').length,
      };
    }),
  );
}
