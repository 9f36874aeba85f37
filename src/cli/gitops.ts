import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { currentCommit } from '../adapters/git.js';
import { newDeployId } from '../deploy/deploy-id.js';
import { DeployError } from '../errors.js';
import { bootstrap } from '../gitops/bootstrap.js';
import { gitopsDeployFailure, gitopsRemote, runGitopsDeploy } from '../gitops/run.js';
import { gitopsRollback } from '../gitops/rollback.js';
import { gitopsStatus } from '../gitops/status.js';
import { gitopsReleases } from '../gitops/prepare.js';
import { clusterFolder, renderEnvironment } from '../gitops/render.js';
import { secretsDelivery } from '../gitops/external-secrets.js';
import type { Environment, Fleet } from '../model/fleet.js';
import { selectEnvironmentClusters } from '../plan/select.js';
import { streamProgress } from '../report/progress.js';
import { renderGitopsDeploy, renderGitopsRollback, renderGitopsStatus } from '../report/gitops.js';
import { renderTable } from '../report/table.js';
import {
  addFleetOptions,
  helmBinary,
  loadReleaseFiles,
  loadSelection,
  parseDuration,
  requireEnv,
  type FleetOptions,
} from './common.js';
import type { CommandResult } from './result.js';

interface SecretsOptions {
  secrets?: string;
  secretStore?: string;
}

interface RenderOptions extends FleetOptions, SecretsOptions {
  out: string;
  repo?: string;
  branch?: string;
}

interface BootstrapCliOptions extends FleetOptions, SecretsOptions {
  repo: string;
  branch: string;
}

/** --secrets and --secret-store, shared by render, bootstrap and deploy (defaults: the fleet file's). */
function addSecretsOptions(command: Command): Command {
  return command
    .option(
      '--secrets <source>',
      "vault: Regatta reads Vault and creates the Secrets; external-secrets: commit ExternalSecrets the cluster's operator resolves (default: the environment's secrets, else vault)",
    )
    .option(
      '--secret-store <name>',
      "with --secrets external-secrets: the ClusterSecretStore to read (default: the environment's secretStore, else vault)",
    );
}

/** The environment of a selection that loadSelection has checked. */
function selectedEnvironment(fleet: Fleet, env: string): Environment {
  const environment = fleet.environments[env];
  if (!environment) throw new Error(`environment ${env} vanished after the selection check`);
  return environment;
}

export function gitopsCommand(done: (result: CommandResult) => void): Command {
  const gitops = new Command('gitops').description(
    'the fleet as Flux objects in git: one folder per cluster that its Flux applies',
  );

  addFleetOptions(
    addSecretsOptions(
      gitops
        .command('render')
        .description("write every cluster's desired state (sources, HelmReleases) to DIR/clusters/<cluster>/")
        .argument('[releases...]', 'release files or folders (default: releases/ beside the fleet file)')
        .requiredOption('--out <dir>', 'folder to write (each rendered cluster folder is replaced whole)')
        .option(
          '--repo <url>',
          'with --branch: also write the objects that make each cluster sync its folder',
        )
        .option('--branch <branch>', 'the branch of --repo')
        .option('--timeout <duration>', "helm-controller's wait for each rollout (300, 5m)", '300'),
    ),
  ).action(async (paths: string[], options: RenderOptions & { timeout: string }) => {
    const { fleet, selection } = loadSelection(options);
    const env = requireEnv(selection, 'gitops render');
    const secrets = secretsDelivery(selectedEnvironment(fleet, env), options);
    const clusters = selectEnvironmentClusters(fleet, env, selection);
    const { environment, releases } = await gitopsReleases(fleet, env, loadReleaseFiles(fleet, paths), {
      helm: await helmBinary(fleet),
      clusters,
    });
    const sync = options.repo && options.branch ? { url: options.repo, branch: options.branch } : undefined;
    const files = renderEnvironment({
      environment,
      clusters,
      releases,
      sync,
      timeoutSeconds: parseDuration('--timeout', options.timeout),
      secrets,
    });
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
    addSecretsOptions(
      gitops
        .command('bootstrap')
        .description(
          "point each cluster's Flux at its folder of REPO, BRANCH (and create the Secrets its HelmReleases read)",
        )
        .argument('[releases...]', 'release files or folders (default: releases/ beside the fleet file)')
        .requiredOption('--repo <url>', 'the fleet repository every cluster fetches (http(s) or ssh)')
        .requiredOption('--branch <branch>', 'the branch holding the rendered folders'),
    ),
  ).action(async (paths: string[], options: BootstrapCliOptions) => {
    const { fleet, selection } = loadSelection(options);
    const env = requireEnv(selection, 'gitops bootstrap');
    const environment = selectedEnvironment(fleet, env);
    const secrets = secretsDelivery(environment, options);
    const releases = loadReleaseFiles(fleet, paths);
    const outcomes = await bootstrap({
      fleet,
      environment,
      clusters: selectEnvironmentClusters(fleet, env, selection),
      releases,
      repo: options.repo,
      branch: options.branch,
      env: process.env,
      progress: streamProgress(),
      secrets,
    });
    done({
      stdout: renderTable(
        ['CLUSTER', 'PATH', 'SECRETS'],
        outcomes.map((o) => [o.cluster, `./${o.path}`, String(o.secrets)]),
      ),
    });
  });

  addFleetOptions(
    addSecretsOptions(
      gitops
        .command('deploy')
        .description(
          'commit and push the rendered state wave by wave, watch every HelmRelease become Ready; on a failure commit the revert',
        )
        .argument('[releases...]', 'release files or folders (default: releases/ beside the fleet file)')
        .option(
          '--repo <url>',
          "the fleet repository (default: the fleet file's environments.<env>.gitops.repo)",
        )
        .option('--branch <branch>', 'the branch every cluster syncs (default: gitops.branch, else main)')
        .option(
          '--timeout <duration>',
          'for Flux to apply the commit and every release to be Ready (300, 5m)',
          '300',
        ),
    ),
  ).action(
    async (
      paths: string[],
      options: FleetOptions & SecretsOptions & { repo?: string; branch?: string; timeout: string },
    ) => {
      const timeoutSeconds = parseDuration('--timeout', options.timeout);
      const { fleet, selection } = loadSelection(options);
      const env = requireEnv(selection, 'gitops deploy');
      const environment = selectedEnvironment(fleet, env);
      const secrets = secretsDelivery(environment, options);
      const report = await runGitopsDeploy({
        fleet,
        environment,
        selection,
        releases: loadReleaseFiles(fleet, paths),
        helm: await helmBinary(fleet),
        remote: gitopsRemote(fleet, environment, options, process.env),
        timeoutSeconds,
        progress: streamProgress(),
        skipGates: false,
        secrets,
      });
      done({
        stdout: options.output === 'json' ? JSON.stringify(report, null, 2) : renderGitopsDeploy(report),
      });
      const failure = gitopsDeployFailure(report);
      if (failure) throw failure;
    },
  );

  addFleetOptions(
    gitops
      .command('rollback')
      .description('commit the cluster folders as deploy ID left them, push, and watch every HelmRelease')
      .requiredOption('--to <deploy-id>', 'the deploy to go back to (its id is in the commit message)')
      .requiredOption('--repo <url>', 'the fleet repository (as given to gitops bootstrap)')
      .requiredOption('--branch <branch>', 'the branch every cluster syncs')
      .option('--timeout <duration>', "helm-controller's wait for each rollout (300, 5m)", '300'),
  ).action(async (options: BootstrapCliOptions & { to: string; timeout: string }) => {
    const { fleet, selection } = loadSelection(options);
    const env = requireEnv(selection, 'gitops rollback');
    const environment = selectedEnvironment(fleet, env);
    const deployId = newDeployId(await currentCommit(process.cwd()));
    const report = await gitopsRollback({
      environment,
      clusters: selectEnvironmentClusters(fleet, env, selection),
      repo: options.repo,
      branch: options.branch,
      to: options.to,
      deployId,
      timeoutSeconds: parseDuration('--timeout', options.timeout),
      progress: streamProgress(),
    });
    done({ stdout: renderGitopsRollback(report) });
    if (report.outcomes.some((o) => o.state !== 'ready'))
      throw new DeployError(
        `rollback ${deployId} to ${options.to} was committed, but not every release is Ready`,
        {
          hint: 'see the table; Flux keeps reconciling the committed state',
        },
      );
  });

  addFleetOptions(
    gitops
      .command('status')
      .description(
        'releases × clusters as Flux reports them: commit applied, chart, Ready for the current generation',
      )
      .argument('[releases...]', 'release files or folders (default: releases/ beside the fleet file)'),
  ).action(async (paths: string[], options: FleetOptions) => {
    const { fleet, selection } = loadSelection(options);
    const env = requireEnv(selection, 'gitops status');
    const releases = loadReleaseFiles(fleet, paths).filter((release) => release.environment === env);
    const rows = await gitopsStatus(releases, selectEnvironmentClusters(fleet, env, selection));
    done({
      stdout: options.output === 'json' ? JSON.stringify(rows, null, 2) : renderGitopsStatus(rows),
      exitCode: rows.every((row) => row.state === 'ready') ? 0 : 1,
    });
  });

  return gitops;
}
