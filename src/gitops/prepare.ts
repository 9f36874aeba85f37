import { limiter } from '../concurrency.js';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parse } from 'yaml';
import { listChartVersions } from '../adapters/chartrepo.js';
import { HelmError, renderChart, type HelmBinary } from '../adapters/helm.js';
import { remoteUrl, repositoryRoot } from '../adapters/git.js';
import { parseYamlFile } from '../config/yaml-source.js';
import { UserError } from '../errors.js';
import { ChartFetcher } from '../deploy/charts.js';
import { helmCluster } from '../deploy/clusters.js';
import { chartRepositoryOf, type Cluster, type Environment, type Fleet } from '../model/fleet.js';
import type { ChartReference } from '../model/plan.js';
import { chartReference } from '../plan/plan.js';
import { layerValues } from '../values/layer.js';
import { hpaScaleTargets, type ScaleTarget } from './hpa.js';
import { releaseKey, type Release, replicasFor } from '../model/release.js';
import { pickChartVersion } from '../plan/chart-version.js';
import type { Values } from '../values/layer.js';
import type { ChartOrigin } from './objects.js';
import type { GitopsRelease } from './render.js';

function requireEnvironment(fleet: Fleet, name: string): Environment {
  const environment = fleet.environments[name];
  if (!environment)
    throw new UserError(`no environment ${name} in ${fleet.file}`, {
      hint: `environments: ${Object.keys(fleet.environments).join(', ')}`,
    });
  return environment;
}

function chartYamlVersion(path: string, release: Release): string {
  const chartYaml = `${path}/Chart.yaml`;
  let version: unknown;
  try {
    version = (parse(readFileSync(chartYaml, 'utf8')) as { version?: unknown })?.version;
  } catch {
    throw new UserError(`chart_path ${path} holds no readable Chart.yaml`, { position: release.position });
  }
  if (typeof version !== 'string')
    throw new UserError(`${chartYaml} has no version`, { position: { file: chartYaml } });
  return version;
}

/** A chart kept next to the code: the application repository's remote, branch and the chart's folder. */
async function gitOrigin(release: Release, environment: Environment, path: string): Promise<ChartOrigin> {
  let root: string;
  try {
    root = await repositoryRoot(path);
  } catch {
    throw new UserError(`release ${releaseKey(release)}: chart_path ${path} is not in a git checkout`, {
      position: release.position,
      hint: 'Flux reads charts kept next to the code from their git repository: commit the chart',
    });
  }
  const url = await remoteUrl(root);
  if (!url)
    throw new UserError(`release ${releaseKey(release)}: the checkout of ${path} has no origin remote`, {
      position: release.position,
      hint: 'git remote add origin URL (the URL every cluster fetches the chart from)',
    });
  return {
    kind: 'git',
    version: chartYamlVersion(path, release),
    url,
    branch: release.branch ?? (environment.branches[0] as string),
    path: relative(root, path) || '.',
  };
}

async function repositoryVersion(release: Release, environment: Environment): Promise<string> {
  if (release.chart.version) return release.chart.version;
  let versions: string[];
  try {
    versions = await listChartVersions(chartRepositoryOf(environment), release.chart.name);
  } catch (error) {
    throw new UserError(
      `cannot list versions of chart ${release.chart.name} in ${chartRepositoryOf(environment).url}: ${(error as Error).message}`,
      { position: release.position },
    );
  }
  // A Flux environment pins the newest released version in git; a branch build is picked only on dev.
  const version = pickChartVersion(versions, environment.name === 'dev' ? release.branch : undefined);
  if (!version)
    throw new UserError(
      `chart ${release.chart.name} has no released version in ${chartRepositoryOf(environment).url}`,
      {
        position: release.position,
        hint: 'publish it, or set spec.chart_version',
      },
    );
  return version;
}

function readValuesFiles(release: Release): Values[] {
  return release.valuesFiles.map((file) => {
    const [source] = parseYamlFile(file);
    const value = source?.value ?? {};
    if (typeof value !== 'object' || Array.isArray(value))
      throw new UserError('a values file must hold a map', { position: { file, line: 1, col: 1 } });
    return value as Values;
  });
}

/** Renders a release for each cluster (`helm template`, secrets as placeholders) to find the HPAs' targets. */
async function hpaTargetsByCluster(
  render: { helm: HelmBinary; charts: ChartFetcher; limit: ReturnType<typeof limiter> },
  environment: Environment,
  resolved: Omit<GitopsRelease, 'hpaTargets'>,
  clusters: readonly Cluster[],
): Promise<Map<string, ScaleTarget[]>> {
  const { release, origin, valuesFiles } = resolved;
  const chart: ChartReference =
    origin.kind === 'git'
      ? { kind: 'path', path: release.chart.path as string }
      : chartReference(release, environment, origin.version);
  const local = await render.charts.local(chart);
  const placeholders = Object.fromEntries(release.secrets.map((secret) => [secret.secretId, '<redacted>']));
  const entries = await Promise.all(
    clusters.map((cluster) =>
      render.limit(async (): Promise<[string, ScaleTarget[]]> => {
        const replicas = replicasFor(release, cluster.name);
        const values = layerValues({
          files: valuesFiles,
          release: release.values,
          cluster,
          replicas,
          secrets: placeholders,
        });
        try {
          const manifest = await renderChart(render.helm, {
            release: release.name,
            namespace: release.namespace,
            cluster: helmCluster(cluster),
            chart: local,
            values,
          });
          return [cluster.name, hpaScaleTargets(manifest)];
        } catch (error) {
          if (error instanceof HelmError)
            throw new UserError(`release ${releaseKey(release)} for ${cluster.name}: ${error.message}`, {
              position: release.position,
              hint: error.hint,
            });
          throw error;
        }
      }),
    ),
  );
  return new Map(entries);
}

export interface GitopsPrepareOptions {
  /** With helm: every release is rendered per cluster to find the HPAs whose replicas drift detection ignores. */
  helm?: HelmBinary;
  clusters?: readonly Cluster[];
}

/** Files → what the pure compiler needs: exact chart versions and origins, parsed values files. */
export async function gitopsReleases(
  fleet: Fleet,
  environmentName: string,
  releases: readonly Release[],
  options: GitopsPrepareOptions = {},
): Promise<{ environment: Environment; releases: GitopsRelease[] }> {
  const environment = requireEnvironment(fleet, environmentName);
  const selected = releases.filter((release) => release.environment === environment.name);
  const resolved = await Promise.all(
    selected.map(async (release) => ({
      release,
      origin: release.chart.path
        ? await gitOrigin(release, environment, release.chart.path)
        : ({ kind: 'repository', version: await repositoryVersion(release, environment) } as const),
      valuesFiles: readValuesFiles(release),
    })),
  );
  const { helm, clusters } = options;
  if (!helm || !clusters) return { environment, releases: resolved };
  const render = {
    helm,
    charts: new ChartFetcher(helm, () => chartRepositoryOf(environment)),
    limit: limiter(4),
  };
  return {
    environment,
    releases: await Promise.all(
      resolved.map(async (entry) => ({
        ...entry,
        hpaTargets: await hpaTargetsByCluster(render, environment, entry, clusters),
      })),
    ),
  };
}
