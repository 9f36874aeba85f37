import { Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '../concurrency.js';
import { DeployError, RollbackError, UserError } from '../errors.js';
import type { Interrupts } from '../interrupts.js';
import type { Fleet } from '../model/fleet.js';
import type { DeployReport, Outcome } from '../model/outcome.js';
import type { Release } from '../model/release.js';
import { newDeployId } from '../deploy/deploy-id.js';
import { announce } from '../deploy/notify.js';
import { prepareDeploy, targetKey, type PrepareOptions } from '../deploy/prepare.js';
import { resolveSecrets } from '../deploy/secrets.js';
import { manifestDiff } from '../plan/diff.js';
import { assertKubeContexts } from '../deploy/clusters.js';
import { recoverRelease, rollbackToDeploy } from '../deploy/rollback.js';
import { abortDeploy } from '../deploy/abort.js';
import { deployFailure, runDeploy } from '../deploy/run.js';
import type { GitopsDeployReport } from '../gitops/deploy.js';
import {
  fluxEnvironment,
  gitopsDeployFailure,
  gitopsRemote,
  runGitopsDeploy,
  runGitopsPlan,
} from '../gitops/run.js';
import {
  renderGitopsDeploy,
  renderGitopsDiff,
  renderGitopsPlan,
  renderGitopsHistory,
  renderGitopsAbort,
  renderGitopsRollback,
  renderGitopsStatus,
} from '../report/gitops.js';
import { readGitopsHistory } from '../gitops/history.js';
import { gitopsAbort } from '../gitops/abort.js';
import { gitopsRollback } from '../gitops/rollback.js';
import { committedReleases, gitopsStatus } from '../gitops/status.js';
import { readPausedDeploy } from '../gitops/history.js';
import { releaseHistory, statusMatrix } from '../deploy/status.js';
import { selectEnvironmentClusters, selectTargets, type Selection } from '../plan/select.js';
import { planWaves } from '../plan/waves.js';
import {
  planJson,
  renderDeployReport,
  renderHistory,
  renderOutcomeStates,
  renderPlan,
  renderAbort,
  renderRecovery,
  renderRollback,
} from '../report/deploy.js';
import { deployResultJson, jsonLine } from '../report/json-lines.js';
import { deployProgress, streamProgress, type Progress } from '../report/progress.js';
import { renderStatus } from '../report/status.js';
import { paintFor } from '../report/style.js';
import type { CommandResult } from './result.js';
import type { HelmBinary } from '../adapters/helm.js';
import {
  addFleetOptions,
  helmBinary,
  loadReleaseFiles,
  loadSelection,
  parseDuration,
  parsePositiveInteger,
  requireEnv,
  type FleetOptions,
} from './common.js';

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** Clusters that did not answer: the table is printed, and the command exits 1 (as deploy and rollback do). */
function unreachableError(unreachable: Record<string, string>): DeployError | undefined {
  const down = Object.entries(unreachable).map(([cluster, why]) => `${cluster} (${why})`);
  if (down.length === 0) return undefined;
  return new DeployError(`unreachable: ${down.join(', ')}`, {
    hint: 'what they run is not known; check them, or leave them out with --cluster / -l',
  });
}

/** Before helm, Vault or any cluster is asked anything: a wrong context is the fleet file's. */
function assertSelectedContexts(fleet: Fleet, releases: readonly Release[], selection: Selection): void {
  assertKubeContexts([
    ...new Set(selectTargets(fleet, releases, selection).flatMap((target) => target.clusters)),
  ]);
}

/** The slack_channel of a release, from the release files beside the fleet file (if there are any). */
function slackChannelOf(fleet: Fleet, release: string, namespace?: string): string | undefined {
  try {
    return loadReleaseFiles(fleet, []).find(
      (r) => r.name === release && (!namespace || r.namespace === namespace),
    )?.slackChannel;
  } catch {
    return undefined; // no releases folder: nothing to announce to
  }
}

/** Reads every secret of every target from Vault first (any failure: exit 2, nothing touched), then plans. */
async function prepareWithSecrets(options: Omit<PrepareOptions, 'secrets'>) {
  const targets = selectTargets(options.fleet, options.releases, options.selection);
  const secrets = await resolveSecrets(options.fleet, targets, process.env);
  return prepareDeploy({ ...options, secrets });
}

/** The common start of plan, diff and deploy: fleet, selection, releases, secrets, plan. */
async function prepareFromFiles(
  paths: readonly string[],
  options: FleetOptions,
  extra: { renderAll?: boolean; progress?: Progress; helm?: HelmBinary } = {},
) {
  const { fleet, selection } = loadSelection(options);
  const releases = loadReleaseFiles(fleet, paths);
  assertSelectedContexts(fleet, releases, selection);
  const helm = extra.helm ?? (await helmBinary(fleet));
  const progress = extra.progress ?? streamProgress();
  const prepared = await prepareWithSecrets({
    fleet,
    releases,
    selection,
    helm,
    progress,
    renderAll: extra.renderAll,
  });
  return { fleet, releases, helm, prepared };
}

/** `plan` / `diff` of a Flux environment: the rendered tree against the fleet branch; undefined for helm. */
async function fluxPlan(paths: readonly string[], options: FleetOptions) {
  const { fleet, selection } = loadSelection(options);
  const releases = loadReleaseFiles(fleet, paths);
  const environment = fluxEnvironment(fleet, releases, selection);
  if (!environment) return undefined;
  assertSelectedContexts(fleet, releases, selection);
  return runGitopsPlan({
    fleet,
    environment,
    selection,
    releases,
    helm: await helmBinary(fleet),
    remote: gitopsRemote(fleet, environment, {}, process.env),
    timeoutSeconds: 300,
  });
}

export function deployCommands(done: (result: CommandResult) => void, interrupts: Interrupts): Command[] {
  const plan = addFleetOptions(new Command('plan'))
    .description('what would be deployed where, and what is unchanged')
    .argument('[releases...]', 'release files or folders')
    .action(async (paths: string[], options: FleetOptions) => {
      const flux = await fluxPlan(paths, options);
      if (flux) return done({ stdout: options.output === 'json' ? json(flux) : renderGitopsPlan(flux) });
      const { prepared, fleet, releases } = await prepareFromFiles(paths, options);
      const waves = planWaves(prepared.plan, releases, fleet, { skipGates: false });
      done({
        stdout:
          options.output === 'json' ? json(planJson(prepared.plan, waves)) : renderPlan(prepared.plan, waves),
      });
    });

  const diff = addFleetOptions(new Command('diff'))
    .description('per cluster, what a deploy would change in the live manifests (Secret data redacted)')
    .argument('[releases...]', 'release files or folders')
    .action(async (paths: string[], options: FleetOptions) => {
      const flux = await fluxPlan(paths, options);
      if (flux)
        return done({ stdout: options.output === 'json' ? json(flux.clusters) : renderGitopsDiff(flux) });
      const { prepared } = await prepareFromFiles(paths, options, { renderAll: true });
      const diffs = prepared.plan.entries.map((entry) => {
        const key = targetKey(entry.target);
        const manifests = prepared.manifests.get(key) ?? { live: '', planned: '' };
        return {
          cluster: entry.target.cluster,
          release: `${entry.target.release}.${entry.target.namespace}`,
          action: entry.action,
          reasons: entry.reasons,
          diff: manifestDiff(key, manifests.live, manifests.planned, entry.target.namespace),
        };
      });
      if (options.output === 'json') return done({ stdout: json(diffs) });
      done({
        stdout: diffs
          .map(
            (d) =>
              `=== ${d.cluster} ${d.release}: ${d.action}${d.reasons.length ? ` (${d.reasons.join('; ')})` : ''}\n${d.diff || '(manifests unchanged)\n'}`,
          )
          .join('\n'),
      });
    });

  const deploy = addFleetOptions(new Command('deploy'))
    .description('deploy to every selected cluster in parallel; roll all back together if one fails')
    .argument('[releases...]', 'release files or folders')
    .option('--concurrency <n>', `releases × clusters at once`, String(DEFAULT_CONCURRENCY))
    .option('--timeout <duration>', 'per cluster, for helm and its rollouts (300, 5m)', '300')
    .option(
      '--rollback-timeout <duration>',
      'how long bringing each release × cluster back to last good may take, from its start (requests, helm rollback and rollout wait)',
      '300',
    )
    .option(
      '--wait-for-lock <duration>',
      'if another deploy of a release runs, wait this long for it (default: refuse)',
      '0',
    )
    .option('--no-rollback', 'leave a failed deploy as it is')
    .option('--wave <name>', 'emergency: only the clusters of this wave (recorded in history)')
    .option('--skip-gates', 'emergency: no soak, checks, helm test or approval (recorded in history)')
    .option(
      '--resume <deploy-id>',
      'go on with a deploy paused at a manual approval (the same release files)',
    )
    .action(
      async (
        paths: string[],
        options: FleetOptions & {
          concurrency: string;
          timeout: string;
          rollbackTimeout: string;
          waitForLock: string;
          rollback: boolean;
          wave?: string;
          skipGates?: boolean;
          resume?: string;
        },
      ) => {
        // Every flag is checked before any file, Vault or cluster is read.
        const concurrency = parsePositiveInteger('--concurrency', options.concurrency);
        const timeoutSeconds = parseDuration('--timeout', options.timeout);
        const rollbackTimeoutSeconds = parseDuration('--rollback-timeout', options.rollbackTimeout);
        const waitForLockMs =
          parseDuration('--wait-for-lock', options.waitForLock, { allowZero: true }) * 1000;
        // A live matrix on a terminal, JSON Lines on stdout with --output json, else plain lines.
        const progress = deployProgress({ output: options.output, interrupt: interrupts.signal });
        const { fleet, selection } = loadSelection(options);
        const releases = loadReleaseFiles(fleet, paths);
        assertSelectedContexts(fleet, releases, selection);
        const flux = fluxEnvironment(fleet, releases, selection);
        if (flux) {
          if (!options.rollback)
            throw new UserError(
              '--no-rollback: a failed deploy of a Flux environment is always reverted in git',
              {
                hint: `environment ${flux.name} is deployed through git (engine: flux): deploy without --no-rollback`,
              },
            );
          const remote = gitopsRemote(fleet, flux, {}, process.env);
          const unguard = interrupts.guard(() => 'reverting what this deploy committed');
          let report: GitopsDeployReport;
          try {
            report = await runGitopsDeploy({
              fleet,
              environment: flux,
              selection,
              releases,
              helm: await helmBinary(fleet),
              remote,
              timeoutSeconds,
              progress: streamProgress(),
              interrupt: interrupts.signal,
              onlyWave: options.wave,
              skipGates: !!options.skipGates,
              resume: options.resume,
            });
          } finally {
            unguard();
          }
          done({ stdout: options.output === 'json' ? json(report) : renderGitopsDeploy(report) });
          const failure = gitopsDeployFailure(report);
          if (failure) throw failure;
          return;
        }
        const helm = await helmBinary(fleet);
        let live: readonly Outcome[] = [];
        const unguard = interrupts.guard(() => renderOutcomeStates(live));
        let report: DeployReport;
        try {
          report = await runDeploy({
            fleet,
            releases,
            selection,
            helm,
            progress,
            timeoutSeconds,
            rollbackTimeoutSeconds,
            concurrency,
            rollback: options.rollback,
            waitForLockMs,
            interrupts,
            onlyWave: options.wave,
            skipGates: !!options.skipGates,
            resume: options.resume,
            onOutcomes: (outcomes) => (live = outcomes),
          });
        } finally {
          unguard();
          progress.close?.();
        }
        const stdout =
          options.output === 'json'
            ? jsonLine(deployResultJson(report, progress.summary?.()))
            : renderDeployReport(report);
        done({ stdout });
        const failure = deployFailure(report, releases, selection.env);
        if (failure) throw failure;
      },
    );

  const rollback = addFleetOptions(new Command('rollback'))
    .description('every cluster back to the revision of a successful deploy, in parallel')
    .argument('<release>', 'RELEASE or RELEASE.NAMESPACE')
    .option('--to <deploy-id>', 'the deploy to go back to')
    .option('--previous', 'the last successful deploy before the live one')
    .option('--force', 'roll back to a deploy that failed or never finished')
    .option('--timeout <duration>', 'per cluster', '300')
    .option('--wait-for-lock <duration>', 'if a deploy of the release runs, wait this long for it', '0')
    .option(
      '--slack-channel <channel>',
      "announce it here (default: the release file's slack_channel, if found)",
    )
    .action(
      async (
        name: string,
        options: FleetOptions & {
          to?: string;
          previous?: boolean;
          force?: boolean;
          timeout: string;
          waitForLock: string;
          slackChannel?: string;
        },
      ) => {
        if (!options.to === !options.previous)
          throw new UserError('give exactly one of --to DEPLOY_ID and --previous');
        const timeoutSeconds = parseDuration('--timeout', options.timeout);
        const waitForLockMs =
          parseDuration('--wait-for-lock', options.waitForLock, { allowZero: true }) * 1000;
        const { fleet, selection } = loadSelection(options);
        const env = requireEnv(selection, 'rollback');
        const environment = fleet.environments[env]!;
        if (environment.engine === 'flux') {
          const report = await gitopsRollback({
            environment,
            clusters: selectEnvironmentClusters(fleet, env, selection),
            ...gitopsRemote(fleet, environment, {}, process.env),
            release: name,
            to: options.to ?? 'previous',
            deployId: newDeployId(),
            timeoutSeconds,
            progress: streamProgress(),
          });
          done({ stdout: options.output === 'json' ? json(report) : renderGitopsRollback(report) });
          if (report.outcomes.some((o) => o.state !== 'ready'))
            throw new RollbackError(
              `rollback to ${report.to} was committed, but not every release is Ready`,
              {
                hint: 'Flux keeps reconciling the committed state: see regatta status',
              },
            );
          return;
        }
        const [release, namespace] = name.split('.') as [string, string?];
        const progress = streamProgress();
        const result = await rollbackToDeploy({
          clusters: selectEnvironmentClusters(fleet, env, selection),
          release,
          namespace,
          to: options.to,
          previous: !!options.previous,
          force: !!options.force,
          helm: await helmBinary(fleet),
          timeoutSeconds,
          progress,
          runId: newDeployId(),
          waitForLockMs,
        });
        const stdout =
          options.output === 'json' ? json(result) : renderRollback(result.deployId, result.outcomes);
        const channel = options.slackChannel ?? slackChannelOf(fleet, release, namespace);
        if (channel && result.outcomes.some((o) => o.status !== 'already-there')) {
          const parts = result.outcomes.map((o) => `${o.cluster}: ${o.status}`).join(', ');
          await announce(
            fleet,
            [
              {
                channel,
                about: release,
                text: `regatta rollback of ${name} (${env}) to ${result.deployId}: ${parts}`,
              },
            ],
            progress,
          );
        }
        done({ stdout });
        const failed = result.outcomes.filter((o) => o.status === 'failed').map((o) => o.cluster);
        if (failed.length > 0)
          throw new RollbackError(`rollback failed in ${failed.join(', ')}: these clusters need attention`, {
            hint: `once they answer, run \`regatta recover ${name} --env ${env}\``,
          });
      },
    );

  const recover = addFleetOptions(new Command('recover'))
    .description(
      'bring a release back to last good wherever a killed or cut-off run left it pending or unfinished',
    )
    .argument('<release>', 'RELEASE or RELEASE.NAMESPACE')
    .option('--timeout <duration>', 'per cluster', '300')
    .option('--wait-for-lock <duration>', 'if a deploy of the release runs, wait this long for it', '0')
    .action(async (name: string, options: FleetOptions & { timeout: string; waitForLock: string }) => {
      const timeoutSeconds = parseDuration('--timeout', options.timeout);
      const waitForLockMs = parseDuration('--wait-for-lock', options.waitForLock, { allowZero: true }) * 1000;
      const { fleet, selection } = loadSelection(options);
      const env = requireEnv(selection, 'recover');
      const [release, namespace] = name.split('.') as [string, string?];
      const outcomes = await recoverRelease({
        clusters: selectEnvironmentClusters(fleet, env, selection),
        release,
        namespace,
        helm: await helmBinary(fleet),
        timeoutSeconds,
        progress: streamProgress(),
        runId: newDeployId(),
        waitForLockMs,
      });
      done({ stdout: options.output === 'json' ? json(outcomes) : renderRecovery(outcomes) });
      const failed = outcomes.filter((o) => o.status === 'failed').map((o) => `${o.cluster} (${o.error})`);
      if (failed.length > 0)
        throw new RollbackError(`recovery failed in ${failed.join(', ')}: these clusters need attention`);
    });

  const abort = addFleetOptions(new Command('abort'))
    .description("a paused deploy's waves back to last good, from any machine, and its locks let go")
    .argument('<deploy-id>', 'the paused deploy')
    .option('--timeout <duration>', 'per cluster', '300')
    .action(async (deployId: string, options: FleetOptions & { timeout: string }) => {
      const timeoutSeconds = parseDuration('--timeout', options.timeout);
      const { fleet, selection } = loadSelection(options);
      const env = requireEnv(selection, 'abort');
      const environment = fleet.environments[env]!;
      if (environment.engine === 'flux') {
        const report = await gitopsAbort({
          environment,
          clusters: selectEnvironmentClusters(fleet, env, selection),
          ...gitopsRemote(fleet, environment, {}, process.env),
          deployId,
          timeoutSeconds,
          progress: streamProgress(),
        });
        done({ stdout: options.output === 'json' ? json(report) : renderGitopsAbort(report) });
        if (report.revertError)
          throw new RollbackError(`abort of ${deployId}: ${report.revertError}`, {
            hint: 'see regatta history and status, then rollback --to a good deploy',
          });
        if (report.revert && !report.revertConverged)
          throw new RollbackError(
            `abort of ${deployId} was committed, but not every cluster is back on a Ready release`,
            {
              hint: 'Flux keeps reconciling the reverted state: see regatta status',
            },
          );
        return;
      }
      const outcomes = await abortDeploy({
        deployId,
        clusters: selectEnvironmentClusters(fleet, env, selection),
        helm: await helmBinary(fleet),
        timeoutSeconds,
        progress: streamProgress(),
      });
      done({ stdout: options.output === 'json' ? json(outcomes) : renderAbort(deployId, outcomes) });
      const failed = outcomes
        .filter((o) => o.status === 'failed')
        .map((o) => `${o.cluster} ${o.release} (${o.error})`);
      if (failed.length > 0)
        throw new RollbackError(`abort failed in ${failed.join(', ')}: these clusters need attention`);
    });

  const status = addFleetOptions(new Command('status'))
    .description(
      'releases × clusters at a glance: chart version, revision, state, short deploy id (--wide: all)',
    )
    .argument('[releases...]', 'release names (default: all)')
    .option(
      '--wide',
      'one row per release × cluster with every field (Helm status, verdict, whole deploy id)',
    )
    .action(async (names: string[], options: FleetOptions & { wide?: boolean }) => {
      const { fleet, selection } = loadSelection(options);
      if (selection.env && fleet.environments[selection.env]?.engine === 'flux') {
        // As Flux reports it: the commit each cluster applied, each HelmRelease's readiness and drift.
        const clusters = selectEnvironmentClusters(fleet, selection.env, selection);
        const rows = await gitopsStatus(await committedReleases(clusters, names), clusters);
        // A paused deploy lives in git: read when the fleet file names the repository.
        const environment = fleet.environments[selection.env]!;
        const paused = environment.gitops
          ? await readPausedDeploy(gitopsRemote(fleet, environment, {}, process.env), environment.name).catch(
              (error: Error) => ({ unreadable: error.message.split('\n')[0] ?? '' }),
            )
          : undefined;
        done({
          stdout: options.output === 'json' ? json(rows) : renderGitopsStatus(rows, paused),
          exitCode: rows.every((row) => row.state === 'ready') ? 0 : 1,
        });
        return;
      }
      // Without --env: every cluster of the fleet, environment by environment.
      const clusters = selection.env
        ? selectEnvironmentClusters(fleet, selection.env, selection)
        : Object.keys(fleet.environments).flatMap((env) => selectEnvironmentClusters(fleet, env, selection));
      const matrix = await statusMatrix(clusters, names);
      const stdout = process.stdout;
      done({
        stdout:
          options.output === 'json'
            ? json(matrix)
            : renderStatus(matrix, {
                wide: options.wide,
                paint: paintFor(stdout),
                columns: stdout.isTTY ? stdout.columns : undefined,
              }),
      });
      const unreachable = unreachableError(matrix.unreachable);
      if (unreachable) throw unreachable;
    });

  const history = addFleetOptions(new Command('history'))
    .description('deploy ids of a release over time, and which clusters each reached')
    .argument('<release>', 'release name')
    .action(async (name: string, options: FleetOptions) => {
      const { fleet, selection } = loadSelection(options);
      const env = requireEnv(selection, 'history');
      const environment = fleet.environments[env]!;
      if (environment.engine === 'flux') {
        // Git is the audit log of a Flux environment: its history is the fleet branch's.
        const entries = await readGitopsHistory(gitopsRemote(fleet, environment, {}, process.env), env, name);
        return done({ stdout: options.output === 'json' ? json(entries) : renderGitopsHistory(entries) });
      }
      const clusters = selectEnvironmentClusters(fleet, env, selection);
      const result = await releaseHistory(clusters, name);
      done({
        stdout:
          options.output === 'json'
            ? json(result)
            : renderHistory(
                result.entries,
                clusters.map((c) => c.name),
                result.unreachable,
              ),
      });
      const unreachable = unreachableError(result.unreachable);
      if (unreachable) throw unreachable;
    });

  return [plan, diff, deploy, rollback, recover, abort, status, history];
}
