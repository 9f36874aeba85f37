import { limiter } from '../concurrency.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { listBranchBuilds, listChartVersions, ChartRepositoryError } from '../adapters/chartrepo.js';
import { HelmError, renderChart, type HelmBinary } from '../adapters/helm.js';
import { serverVersion } from '../adapters/kube.js';
import { retryTransient } from '../adapters/transient.js';
import { DeployError, UserError } from '../errors.js';
import type { Cluster, Fleet } from '../model/fleet.js';
import type { TargetTimings } from '../model/outcome.js';
import type { ChartReference, Plan, PlannedTarget } from '../model/plan.js';
import { releaseKey, type Release } from '../model/release.js';
import { pickChartVersion, type ChartBuild } from '../plan/chart-version.js';
import { applyReplicaCounts } from '../plan/scaling.js';
import { chartReference, decide, knownUnchanged, needsRender, plannedTarget } from '../plan/plan.js';
import { selectTargets, type Selection } from '../plan/select.js';
import type { Progress } from '../report/progress.js';
import { layerValues, type Values } from '../values/layer.js';
import type { Secret } from '../values/secret.js';
import { parseYamlFile } from '../config/yaml-source.js';
import { ChartFetcher } from './charts.js';
import { kubeTarget } from './clusters.js';
import { LiveObserver } from './observe.js';

export interface PrepareOptions {
  fleet: Fleet;
  releases: Release[];
  selection: Selection;
  helm: HelmBinary;
  progress: Progress;
  /** Render every target even when that cannot change the plan (`diff` shows the manifests). */
  renderAll?: boolean;
  /**
   * Called once every selected cluster answered and before anything is observed: where a deploy
   * takes its fleet lock, so what it plans from cannot change under it.
   */
  beforeObserve?: (clusters: readonly Cluster[]) => Promise<void>;
  /**
   * A deploy's look before its lock. When every target is known unchanged by a first look (made
   * quickly, once, beside the reachability check), the plan is handed here with a second look to
   * make; true: that plan stands and `beforeObserve` is never called (when that is safe:
   * plan/noop.ts). Otherwise, or on any failure of the first look, the deploy goes the locked way.
   */
  withoutLock?: (prepared: PreparedDeploy, unchangedSince: () => Promise<boolean>) => Promise<boolean>;
  /** secret_id → value per target key; absent when planning (placeholders are used). */
  secrets?: (release: Release, cluster: Cluster) => Record<string, Secret>;
}

/** A plan plus what executing it needs and must never print: the complete values per target. */
export interface PreparedDeploy {
  plan: Plan;
  values: Map<string, Values>;
  clusters: Map<string, Cluster>;
  /** Per target: the manifest a deploy would apply (scaled) and the live one (for `diff`). */
  manifests: Map<string, { planned: string; live: string }>;
  /** Repository charts as local archives, fetched once (planning fetched each release's). */
  charts: ChartFetcher;
  /** Per target: how long observing and rendering it took. */
  timings: Map<string, TargetTimings>;
}

export const targetKey = (target: Pick<PlannedTarget, 'release' | 'namespace' | 'cluster'>) =>
  `${target.release}.${target.namespace}@${target.cluster}`;

async function resolveChartVersion(release: Release, fleet: Fleet): Promise<string> {
  if (release.chart.path) {
    const chartYaml = `${release.chart.path}/Chart.yaml`;
    let version: unknown;
    try {
      version = (parse(readFileSync(chartYaml, 'utf8')) as { version?: unknown })?.version;
    } catch {
      throw new UserError(`chart_path ${release.chart.path} holds no readable Chart.yaml`, {
        position: release.position,
      });
    }
    if (typeof version !== 'string')
      throw new UserError(`${chartYaml} has no version`, { position: { file: chartYaml } });
    return version;
  }
  if (release.chart.version) return release.chart.version;
  const environment = fleet.environments[release.environment];
  const repository = environment?.chartRepository;
  if (!repository) throw new Error(`environment ${release.environment} has no chart repository`);
  const branch = release.environment === 'dev' ? release.branch : undefined;
  let versions: (string | ChartBuild)[];
  try {
    versions = branch
      ? await listBranchBuilds(repository, release.chart.name, branch)
      : await listChartVersions(repository, release.chart.name);
  } catch (error) {
    throw new UserError(
      `cannot list versions of chart ${release.chart.name} in ${repository.url}: ${(error as Error).message}`,
      {
        position: release.position,
      },
    );
  }
  const version = pickChartVersion(versions, branch);
  if (!version) {
    throw new UserError(
      `chart ${release.chart.name} has no ${branch ? `version built from branch ${branch}` : 'released version'} in ${repository.url}`,
      { position: release.position, hint: 'publish it, or set spec.chart_version' },
    );
  }
  return version;
}

function readValuesFiles(release: Release): Values[] {
  return release.valuesFiles.map((file) => {
    const [source] = parseYamlFile(file);
    const value = source?.value ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new UserError('a values file must hold a map', { position: { file, line: 1, col: 1 } });
    }
    return value as Values;
  });
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * What identifies a chart's content: its folder's files, or the archive's bytes for a repository
 * chart (a version pushed again with `chart release --force` is a different chart).
 */
async function chartDigest(
  release: Release,
  reference: ChartReference,
  charts: ChartFetcher,
): Promise<string> {
  const hash = createHash('sha256');
  if (release.chart.path) {
    for (const file of filesOf(release.chart.path)) {
      hash.update(relative(release.chart.path, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  } else {
    const local = await charts.local(reference);
    if (local.kind !== 'path') throw new Error('a fetched chart is a local archive');
    hash.update(readFileSync(local.path));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Every selected cluster answers, or nothing happens. Returns each cluster's server version. */
export async function checkReachable(clusters: readonly Cluster[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  const failures: string[] = [];
  await Promise.all(
    clusters.map(async (cluster) => {
      try {
        versions.set(
          cluster.name,
          (
            await retryTransient(() => serverVersion({ ...kubeTarget(cluster), timeoutMs: 10_000 }), {
              attempts: 2,
            })
          ).gitVersion,
        );
      } catch (error) {
        failures.push(`${cluster.name} (${(error as Error).message.split('\n')[0]})`);
      }
    }),
  );
  if (failures.length > 0) {
    throw new DeployError(`unreachable: ${failures.sort().join(', ')}; nothing was changed`, {
      hint: 'check the cluster, or leave it out with --cluster / -l',
    });
  }
  return versions;
}

/** `helm template` for one target; a chart that does not render is the user's to fix (exit 2). */
async function render(
  helm: HelmBinary,
  charts: ChartFetcher,
  release: Release,
  cluster: Cluster,
  target: PlannedTarget,
  values: Values,
  kubeVersion: string | undefined,
): Promise<string> {
  try {
    return await renderChart(helm, {
      release: release.name,
      namespace: release.namespace,
      cluster,
      chart: await charts.local(target.chart),
      values,
      kubeVersion,
    });
  } catch (error) {
    if (error instanceof HelmError) {
      throw new UserError(`release ${releaseKey(release)} for ${cluster.name}: ${error.message}`, {
        position: release.position,
        hint: error.hint,
      });
    }
    if (error instanceof ChartRepositoryError)
      throw new UserError(`release ${releaseKey(release)}: ${error.message}`, { position: release.position });
    throw error;
  }
}

/** One release × cluster as the files make it, before anything is observed. */
interface TargetInput {
  release: Release;
  cluster: Cluster;
  /** Its place among its release's clusters (the first one always renders). */
  index: number;
  target: PlannedTarget;
  values: Values;
}

/** Chart versions and digests, and every target's complete values: what the files make of them. */
async function resolveInputs(
  selected: ReturnType<typeof selectTargets>,
  options: PrepareOptions,
  charts: ChartFetcher,
): Promise<TargetInput[]> {
  const perRelease = await Promise.all(
    selected.map(async ({ release, clusters }) => {
      const version = await resolveChartVersion(release, options.fleet);
      const files = readValuesFiles(release);
      const environment = options.fleet.environments[release.environment]!;
      let digest: string;
      try {
        digest = await chartDigest(release, chartReference(release, environment, version), charts);
      } catch (error) {
        if (error instanceof HelmError || error instanceof ChartRepositoryError)
          throw new UserError(`release ${releaseKey(release)}: ${error.message}`, {
            position: release.position,
          });
        throw error;
      }
      return clusters.map((cluster, index) => {
        const target = plannedTarget(release, cluster, environment, version, digest);
        const secrets =
          options.secrets?.(release, cluster) ??
          Object.fromEntries(release.secrets.map((secret) => [secret.secretId, '<redacted>']));
        const values = layerValues({
          files,
          release: release.values,
          cluster,
          replicas: target.replicas,
          secrets,
        });
        return { release, cluster, index, target, values };
      });
    }),
  );
  return perRelease.flat();
}

/** The plan of a deploy that changes nothing, when this look knows every target unchanged. */
async function unchangedPlan(
  targets: readonly TargetInput[],
  observer: LiveObserver,
): Promise<Plan | undefined> {
  try {
    const lives = await Promise.all(targets.map((t) => observer.liveOf(t.cluster, t.release)));
    if (!targets.every((t, i) => knownUnchanged(t.target, t.values, lives[i]))) return undefined;
    return { entries: targets.map((t, i) => decide({ target: t.target, values: t.values, live: lives[i] })) };
  } catch {
    return undefined; // the locked way looks again, and reports what it cannot read
  }
}

/** Files → plan: resolves charts, renders each release for each cluster, compares with what is live. */
export async function prepareDeploy(options: PrepareOptions): Promise<PreparedDeploy> {
  const selected = selectTargets(options.fleet, options.releases, options.selection);
  if (selected.length === 0)
    throw new UserError('no release has a cluster in this selection', {
      hint: 'check --env, --cluster and -l',
    });
  const clusters = new Map(
    selected.flatMap((entry) => entry.clusters).map((cluster) => [cluster.name, cluster]),
  );
  const charts = new ChartFetcher(options.helm, (url) => {
    const repository = Object.values(options.fleet.environments).find(
      (candidate) => candidate.chartRepository?.url === url,
    )?.chartRepository;
    if (!repository) throw new Error(`no environment has the chart repository ${url}`);
    return repository;
  });
  const reachable = checkReachable([...clusters.values()]);
  // What the files make needs no cluster: resolved meanwhile, as is a deploy's first look.
  const inputs = resolveInputs(selected, options, charts);
  const early = options.withoutLock && new LiveObserver(selected, { timeoutMs: 10_000, attempts: 1 });
  const firstLook = early && inputs.then((targets) => unchangedPlan(targets, early));
  inputs.catch(() => undefined); // awaited below, after the reachability check (whose error comes first)
  firstLook?.catch(() => undefined);
  const kubeVersions = await reachable;
  const targets = await inputs;
  const values = new Map(targets.map((t) => [targetKey(t.target), t.values]));
  const manifests = new Map<string, { planned: string; live: string }>();
  const timings = new Map<string, TargetTimings>();
  const observed = (observer: LiveObserver) => {
    for (const { release, cluster, target } of targets) {
      const observe = observer.secondsFor(cluster, release);
      if (observe !== undefined)
        timings.set(targetKey(target), { ...timings.get(targetKey(target)), observe });
    }
  };
  const unchanged = await firstLook;
  if (early && unchanged) {
    observed(early);
    const prepared = { plan: unchanged, values, clusters, manifests, charts, timings };
    if (await options.withoutLock!(prepared, () => early.unchangedSince())) return prepared;
  }
  await options.beforeObserve?.([...clusters.values()]);
  const limit = limiter(8);
  const observer = new LiveObserver(selected);
  const entries = await Promise.all(
    targets.map(({ release, cluster, index, target, values: targetValues }) =>
      limit(async () => {
        const live = await observer.liveOf(cluster, release);
        let rendered: string | undefined;
        const unchanged = knownUnchanged(target, targetValues, live);
        if (unchanged) {
          // Its manifest is the live one: only `diff` wants to see it; the decision needs nothing.
          if (options.renderAll) rendered = live!.manifest;
        } else if (options.renderAll || index === 0 || needsRender(target, targetValues, live)) {
          // The first cluster of each release always renders: a missing chart or a template error
          // stops everything before any cluster changes.
          const started = performance.now();
          rendered = await render(
            options.helm,
            charts,
            release,
            cluster,
            target,
            targetValues,
            kubeVersions.get(cluster.name),
          );
          timings.set(targetKey(target), { render: (performance.now() - started) / 1000 });
        }
        if (rendered !== undefined) {
          manifests.set(targetKey(target), {
            planned: applyReplicaCounts(rendered, target.replicas).manifest,
            live: live && live.status !== 'uninstalled' ? live.manifest : '',
          });
        }
        return decide({ target, rendered, values: targetValues, live });
      }),
    ),
  );
  observed(observer);
  return { plan: { entries }, values, clusters, manifests, charts, timings };
}
