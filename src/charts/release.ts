import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { serverDryRun } from '../adapters/kube.js';
import { kubeTarget } from '../deploy/clusters.js';
import { ChartRepositoryError, listChartVersions, uploadToChartMuseum } from '../adapters/chartrepo.js';
import {
  changedFiles,
  commitFiles,
  currentBranch,
  currentCommit,
  EMPTY_TREE,
  hasCommit,
  isShallow,
  mergeBase,
  repositoryRoot,
} from '../adapters/git.js';
import {
  HelmError,
  lintChart,
  packageChart,
  pushChart,
  renderChart,
  updateDependencies,
  type HelmBinary,
} from '../adapters/helm.js';
import { DeployError, UserError } from '../errors.js';
import type { Cluster, Environment, Fleet } from '../model/fleet.js';

import type { Progress } from '../report/progress.js';
import { clusterGlobals } from '../values/layer.js';
import { planBumps, type BumpLevel } from './bump.js';
import { changedCharts, discoverCharts } from './discover.js';
import { buildChartGraph } from './graph.js';
import { splitManifest } from '../plan/manifests.js';
import { loadClusterSchemas } from './cluster-schemas.js';
import type { BumpPlan, LocalChart } from './model.js';

export interface ChartReleaseOptions {
  cwd: string;
  fleet: Fleet;
  helm: HelmBinary;
  base?: string;
  branch?: string;
  level: BumpLevel;
  dryRun: boolean;
  force: boolean;
  commit: boolean;
  /** Validate with the cached schemas only. */
  offline?: boolean;
  /** Also ask each API server to dry-run every rendered object. */
  serverDryRun?: boolean;
  progress: Progress;
}

export interface ChartReleasePlan {
  environment: string;
  branch: string;
  base: string;
  changed: string[];
  plan: BumpPlan;
  clusters: string[];
}

const matchesBranch = (pattern: string, branch: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(branch);

/** The environment a branch feeds (fleet `environments.*.branches`, `*` wildcards allowed). */
export function environmentOfBranch(fleet: Fleet, branch: string): Environment {
  const environment = Object.values(fleet.environments).find((env) =>
    env.branches.some((pattern) => matchesBranch(pattern, branch)),
  );
  if (!environment) {
    throw new UserError(`branch ${branch} feeds no environment`, {
      hint: `the fleet file maps: ${Object.values(fleet.environments)
        .map((env) => `${env.branches.join('|')} → ${env.name}`)
        .join(', ')}`,
    });
  }
  return environment;
}

async function defaultBase(cwd: string, environment: Environment, branch: string): Promise<string> {
  const envBranch = environment.branches.find((pattern) => !pattern.includes('*')) ?? branch;
  const base = (await mergeBase(cwd, envBranch)) ?? (await mergeBase(cwd, `origin/${envBranch}`));
  const head = await mergeBase(cwd, 'HEAD');
  if (base && base !== head) return base;
  // On the environment's own branch, what changed is what its last commit brought. A shallow
  // clone may lack both the merge base and HEAD~1: guessing would release the wrong charts.
  if (await isShallow(cwd)) {
    if (!base) {
      throw new UserError(
        `shallow clone: the merge base of ${branch} and ${envBranch} is not in this checkout, so what changed is unknown`,
        {
          position: { file: cwd },
          hint: `fetch the history (git fetch --unshallow origin ${envBranch}, or fetch-depth: 0 in CI), or pass --base REF`,
        },
      );
    }
    if (!(await hasCommit(cwd, 'HEAD~1'))) {
      throw new UserError('shallow clone: HEAD~1 is not in this checkout, so what changed is unknown', {
        position: { file: cwd },
        hint: 'fetch one more commit (git fetch --deepen=1, or fetch-depth: 2 in CI), or pass --base REF',
      });
    }
  }
  // The repository's first commit brought everything.
  return (await hasCommit(cwd, 'HEAD~1')) ? 'HEAD~1' : EMPTY_TREE;
}

/** What `chart release` would do: environment, changed charts, bumps. No changes made. */
export async function planChartRelease(
  options: ChartReleaseOptions,
): Promise<ChartReleasePlan & { charts: LocalChart[]; root: string }> {
  const root = await repositoryRoot(options.cwd);
  const branch = options.branch ?? (await currentBranch(root));
  const environment = environmentOfBranch(options.fleet, branch);
  if (options.base !== undefined && !(await hasCommit(root, options.base))) {
    throw new UserError(`--base ${options.base}: no such commit in this checkout`, {
      position: { file: root },
      hint: 'pass a branch, tag or commit that exists here; in a shallow clone, fetch it first',
    });
  }
  const base = options.base ?? (await defaultBase(root, environment, branch));
  const charts = discoverCharts(root);
  const graph = buildChartGraph(charts);
  const changed = changedCharts(charts, await changedFiles(root, base));
  const commit = (await currentCommit(root)) ?? 'local';
  const plan = planBumps(charts, graph, changed, {
    level: options.level,
    prerelease: environment.name === 'dev' ? { branch, commit } : undefined,
  });
  const clusters = options.fleet.clusters.filter((c) => c.env === environment.name).map((c) => c.name);
  return { environment: environment.name, branch, base, changed, plan, clusters, charts, root };
}

/**
 * Writes new versions (and parents' requirements) into Chart.yaml files, keeping their formatting.
 * Returns the original text of every file the release may change, to restore on failure.
 */
function writeVersions(charts: readonly LocalChart[], plan: BumpPlan): Map<string, string> {
  const originals = new Map<string, string>();
  for (const bump of plan.bumps) {
    const chart = charts.find((c) => c.name === bump.chart)!;
    const file = join(chart.dir, 'Chart.yaml');
    const text = readFileSync(file, 'utf8');
    originals.set(file, text);
    // `helm dependency update` rewrites the lock: keep it too, to put back on failure.
    const lock = join(chart.dir, 'Chart.lock');
    if (existsSync(lock)) originals.set(lock, readFileSync(lock, 'utf8'));
    const document = parseDocument(text);
    document.set('version', bump.to);
    for (const update of plan.dependencyUpdates.filter((u) => u.parent === bump.chart)) {
      const index = chart.dependencies.findIndex((d) => d.name === update.dependency);
      document.setIn(['dependencies', index, 'version'], update.to);
    }
    writeFileSync(file, document.toString());
  }
  return originals;
}

/** Each object of a manifest dry-run by the cluster's API server; returns its refusals. */
async function dryRunManifest(cluster: Cluster, manifest: string): Promise<string[]> {
  const refusals: string[] = [];
  for (const { object } of splitManifest(manifest)) {
    const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
    if (!object.kind) continue;
    const refusal = await serverDryRun(kubeTarget(cluster), {
      ...object,
      metadata: { namespace: 'default', ...metadata },
    });
    if (refusal) refusals.push(`${String(object.kind)}/${metadata.name ?? ''}: ${refusal}`);
  }
  return refusals;
}

/** A chart folder rendered for one cluster with that cluster's globals (what lint and validation see). */
export function renderForCluster(
  helm: HelmBinary,
  dir: string,
  release: string,
  cluster: Cluster,
): Promise<string> {
  return renderChart(helm, {
    release,
    namespace: 'default',
    cluster,
    chart: { kind: 'path', path: dir },
    values: clusterGlobals(cluster),
  });
}

/** A push that failed part-way: exactly what the repository holds now, and what it does not. */
function pushFailure(
  failed: { chart: string; version: string },
  rest: readonly { chart: string; version: string }[],
  pushed: readonly string[],
  url: string,
  error: unknown,
): DeployError {
  const why =
    error instanceof HelmError
      ? HelmError.summary(error.stderr)
      : ((error as Error).message.split('\n')[0] ?? 'failed');
  const notPushed = [failed, ...rest].map((p) => `${p.chart} ${p.version}`);
  return new DeployError(
    `pushing ${failed.chart} ${failed.version} to ${url} failed: ${why}; pushed: ${pushed.join(', ') || 'nothing'}; not pushed: ${notPushed.join(', ')}; Chart.yaml files restored`,
    {
      hint:
        pushed.length > 0
          ? 'the repository holds the pushed versions, git does not: once the repository is fixed, rerun with --force'
          : 'fix the repository, then rerun',
    },
  );
}

/** The whole pipeline: bump, lint, render per cluster, package, refuse existing versions, push, (commit). */
export async function runChartRelease(
  options: ChartReleaseOptions,
): Promise<ChartReleasePlan & { pushed: string[] }> {
  const { charts, root, ...planned } = await planChartRelease(options);
  const { plan } = planned;
  if (options.dryRun || plan.bumps.length === 0) return { ...planned, pushed: [] };
  const environment = options.fleet.environments[planned.environment]!;
  const repository = environment.chartRepository;
  if (!repository) {
    throw new UserError(`environment ${environment.name} has no chartRepository to release charts to`, {
      position: { file: options.fleet.file },
      hint: `add environments.${environment.name}.chartRepository to the fleet file`,
    });
  }
  const existing = await Promise.all(
    plan.bumps.map(async (bump) => ({
      bump,
      versions: await listChartVersions(repository, bump.chart),
    })),
  );
  const taken = existing
    .filter((e) => e.versions.includes(e.bump.to))
    .map((e) => `${e.bump.chart} ${e.bump.to}`);
  if (taken.length > 0 && !options.force) {
    throw new DeployError(`already in ${repository.url}: ${taken.join(', ')}; nothing was pushed`, {
      hint: 'pass --force to replace',
    });
  }
  const clusters = options.fleet.clusters.filter((c) => c.env === planned.environment);
  const schemas = new Map(
    await Promise.all(
      clusters.map(
        async (c) => [c.name, await loadClusterSchemas(c, process.env, !!options.offline)] as const,
      ),
    ),
  );
  const originals = writeVersions(charts, plan);
  const out = mkdtempSync(join(tmpdir(), 'regatta-charts-'));
  try {
    const packages: { chart: string; version: string; tgz: string }[] = [];
    const violations: string[] = [];
    // Every new version is on disk already, so a parent's `helm dependency update` packs the bumped file:// charts.
    for (const bump of plan.bumps) {
      const chart = charts.find((c) => c.name === bump.chart)!;
      if (chart.dependencies.length > 0) await updateDependencies(options.helm, chart.dir);
      for (const cluster of clusters) {
        await lintChart(options.helm, chart.dir, clusterGlobals(cluster));
        const rendered = await renderForCluster(options.helm, chart.dir, chart.name, cluster);
        if (options.serverDryRun) {
          for (const refusal of await dryRunManifest(cluster, rendered))
            violations.push(`${chart.name} ${refusal} (${cluster.name}, server dry run)`);
        }
        for (const violation of schemas.get(cluster.name)!.validateManifest(rendered)) {
          violations.push(
            `${chart.name} ${violation.template} ${violation.kind}/${violation.name} ${violation.field}: ${violation.message} (${cluster.name})`,
          );
        }
      }
      options.progress.line(
        `${chart.name} ${bump.to}: linted, rendered and validated for ${planned.clusters.length} clusters`,
      );
      packages.push({
        chart: chart.name,
        version: bump.to,
        tgz: await packageChart(options.helm, chart.dir, out),
      });
    }
    if (violations.length > 0) {
      throw new DeployError(`${violations.length} schema violation(s); nothing was pushed`, {
        details: violations.map((v) => `  ${v}`).join('\n'),
      });
    }
    // Everything is bumped, rendered, validated and packaged: only now does the repository change.
    const pushed: string[] = [];
    for (const [index, item] of packages.entries()) {
      try {
        if (repository.type === 'oci')
          await pushChart(options.helm, item.tgz, repository.url, repository.plainHttp);
        else await uploadToChartMuseum(repository, readFileSync(item.tgz), options.force);
      } catch (error) {
        throw pushFailure(item, packages.slice(index + 1), pushed, repository.url, error);
      }
      pushed.push(`${item.chart} ${item.version}`);
      options.progress.line(`${item.chart} ${item.version}: pushed to ${repository.url}`);
    }
    if (options.commit) {
      const message = [
        'Release charts',
        '',
        ...plan.bumps.map((b) => `- ${b.chart} ${b.from} → ${b.to} (${b.reason})`),
      ].join('\n');
      // Chart.yaml files and the locks `helm dependency update` rewrote (packaged subcharts stay out).
      const locks = plan.bumps
        .map((bump) => join(charts.find((c) => c.name === bump.chart)!.dir, 'Chart.lock'))
        .filter((lock) => existsSync(lock));
      await commitFiles(root, [...originals.keys(), ...locks], message);
    }
    return { ...planned, pushed: packages.map((p) => `${p.chart}-${p.version}`) };
  } catch (error) {
    for (const [file, text] of originals) writeFileSync(file, text); // nothing half-bumped on disk
    if (error instanceof HelmError) throw new UserError(error.message, { hint: error.hint });
    if (error instanceof ChartRepositoryError) throw new DeployError(error.message);
    throw error;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
