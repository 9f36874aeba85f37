import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { bootstrap } from '../gitops/bootstrap.js';
import { gitopsReleases } from '../gitops/prepare.js';
import { clusterFolder, renderEnvironment } from '../gitops/render.js';
import { selectEnvironmentClusters } from '../plan/select.js';
import { streamProgress } from '../report/progress.js';
import { renderTable } from '../report/table.js';
import { addFleetOptions, loadReleaseFiles, loadSelection, requireEnv, type FleetOptions } from './common.js';
import type { CommandResult } from './result.js';

interface RenderOptions extends FleetOptions {
  out: string;
  repo?: string;
  branch?: string;
}

interface BootstrapCliOptions extends FleetOptions {
  repo: string;
  branch: string;
}

export function gitopsCommand(done: (result: CommandResult) => void): Command {
  const gitops = new Command('gitops').description(
    'the fleet as Flux objects in git: one folder per cluster that its Flux applies',
  );

  addFleetOptions(
    gitops
      .command('render')
      .description("write every cluster's desired state (sources, HelmReleases) to DIR/clusters/<cluster>/")
      .argument('[releases...]', 'release files or folders (default: releases/ beside the fleet file)')
      .requiredOption('--out <dir>', 'folder to write (each rendered cluster folder is replaced whole)')
      .option('--repo <url>', 'with --branch: also write the objects that make each cluster sync its folder')
      .option('--branch <branch>', 'the branch of --repo'),
  ).action(async (paths: string[], options: RenderOptions) => {
    const { fleet, selection } = loadSelection(options);
    const env = requireEnv(selection, 'gitops render');
    const { environment, releases } = await gitopsReleases(fleet, env, loadReleaseFiles(fleet, paths));
    const clusters = selectEnvironmentClusters(fleet, env, selection);
    const sync = options.repo && options.branch ? { url: options.repo, branch: options.branch } : undefined;
    const files = renderEnvironment({ environment, clusters, releases, sync });
    const out = resolve(options.out);
    // The folder is the complete desired state: a release removed from the files disappears.
    for (const cluster of clusters)
      rmSync(join(out, clusterFolder(cluster.name)), { recursive: true, force: true });
    for (const file of files) {
      mkdirSync(dirname(join(out, file.path)), { recursive: true });
      writeFileSync(join(out, file.path), file.content);
    }
    done({ stdout: `${files.length} files for ${clusters.length} clusters in ${out}` });
  });

  addFleetOptions(
    gitops
      .command('bootstrap')
      .description(
        "point each cluster's Flux at its folder of REPO, BRANCH (and create the Secrets its HelmReleases read)",
      )
      .argument('[releases...]', 'release files or folders (default: releases/ beside the fleet file)')
      .requiredOption('--repo <url>', 'the fleet repository every cluster fetches (http(s) or ssh)')
      .requiredOption('--branch <branch>', 'the branch holding the rendered folders'),
  ).action(async (paths: string[], options: BootstrapCliOptions) => {
    const { fleet, selection } = loadSelection(options);
    const env = requireEnv(selection, 'gitops bootstrap');
    const releases = loadReleaseFiles(fleet, paths);
    const environment = fleet.environments[env];
    if (!environment) throw new Error(`environment ${env} vanished after the selection check`);
    const outcomes = await bootstrap({
      fleet,
      environment,
      clusters: selectEnvironmentClusters(fleet, env, selection),
      releases,
      repo: options.repo,
      branch: options.branch,
      env: process.env,
      progress: streamProgress(),
    });
    done({
      stdout: renderTable(
        ['CLUSTER', 'PATH', 'SECRETS'],
        outcomes.map((o) => [o.cluster, `./${o.path}`, String(o.secrets)]),
      ),
    });
  });

  return gitops;
}
