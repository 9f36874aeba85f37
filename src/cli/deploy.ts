import { Command } from 'commander';
import { currentCommit } from '../adapters/git.js';
import { postSlackMessage } from '../adapters/slack.js';
import { DeployError, RollbackError, UserError } from '../errors.js';
import type { Fleet } from '../model/fleet.js';
import type { Release } from '../model/release.js';
import { newDeployId } from '../deploy/deploy-id.js';
import { executePlan, type DeployReport } from '../deploy/execute.js';
import { prepareDeploy, targetKey, type PrepareOptions } from '../deploy/prepare.js';
import { resolveSecrets } from '../deploy/secrets.js';
import { manifestDiff } from '../plan/diff.js';
import { assertKubeContexts } from '../deploy/clusters.js';
import { rollbackToDeploy } from '../deploy/rollback.js';
import { releaseHistory, statusMatrix } from '../deploy/status.js';
import { selectEnvironmentClusters, selectTargets } from '../plan/select.js';
import {
  deployReportJson,
  planJson,
  renderDeployReport,
  renderHistory,
  renderPlan,
  renderRollback,
  renderStatus,
} from '../report/deploy.js';
import { streamProgress, type Progress } from '../report/progress.js';
import type { CommandResult } from './result.js';
import type { HelmBinary } from '../adapters/helm.js';
import {
  addFleetOptions,
  helmBinary,
  loadReleaseFiles,
  loadSelection,
  parseSeconds,
  requireEnv,
  type FleetOptions,
} from './common.js';

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** One Slack message per release that names a channel; a failed notification is reported, never fatal. */
async function notify(
  fleet: Fleet,
  releases: readonly Release[],
  text: (release: Release) => string,
  progress: Progress,
) {
  const variable = fleet.slackWebhookUrlEnv;
  if (!variable) return;
  const url = process.env[variable];
  for (const release of releases.filter((r) => r.slackChannel)) {
    if (!url) {
      progress.line(`warning: ${variable} is not set: no Slack message for ${release.name}`);
      continue;
    }
    try {
      await postSlackMessage(url, release.slackChannel, text(release));
    } catch (error) {
      progress.line(`warning: Slack notification for ${release.name} failed: ${(error as Error).message}`);
    }
  }
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

function summary(report: DeployReport, release: Release): string {
  const mine = report.outcomes.filter(
    (o) => o.entry.target.release === release.name && o.entry.target.namespace === release.namespace,
  );
  const parts = mine.map((o) => `${o.entry.target.cluster}: ${o.status}`);
  return `regatta deploy ${report.deployId} of ${release.name}.${release.namespace} (${release.environment}): ${parts.join(', ')}`;
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
  // Before helm, Vault or any cluster is asked anything: a wrong context is the fleet file's.
  assertKubeContexts([
    ...new Set(selectTargets(fleet, releases, selection).flatMap((target) => target.clusters)),
  ]);
  const helm = extra.helm ?? (await helmBinary());
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

export function deployCommands(done: (result: CommandResult) => void): Command[] {
  const plan = addFleetOptions(new Command('plan'))
    .description('what would be deployed where, and what is unchanged')
    .argument('[releases...]', 'release files or folders')
    .action(async (paths: string[], options: FleetOptions) => {
      const { prepared } = await prepareFromFiles(paths, options);
      done({ stdout: options.output === 'json' ? json(planJson(prepared.plan)) : renderPlan(prepared.plan) });
    });

  const diff = addFleetOptions(new Command('diff'))
    .description('per cluster, what a deploy would change in the live manifests (Secret data redacted)')
    .argument('[releases...]', 'release files or folders')
    .action(async (paths: string[], options: FleetOptions) => {
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
    .option('--concurrency <n>', 'releases × clusters at once (default: all)', (v) => Number(v))
    .option('--timeout <duration>', 'per cluster, for helm and its rollouts (300, 5m)', '300')
    .option('--rollback-timeout <duration>', 'per cluster, for rolling back after a failure', '300')
    .option('--no-rollback', 'leave a failed deploy as it is')
    .action(
      async (
        paths: string[],
        options: FleetOptions & {
          concurrency?: number;
          timeout: string;
          rollbackTimeout: string;
          rollback: boolean;
        },
      ) => {
        const timeoutSeconds = parseSeconds(options.timeout);
        const progress = streamProgress();
        const { fleet, releases, helm, prepared } = await prepareFromFiles(paths, options, { progress });
        const deployId = newDeployId(await currentCommit(process.cwd()));
        progress.line(`deploy ${deployId}: ${prepared.plan.entries.length} release × cluster targets`);
        const report = await executePlan(prepared, {
          helm,
          deployId,
          timeoutSeconds,
          rollbackTimeoutSeconds: parseSeconds(options.rollbackTimeout),
          concurrency: options.concurrency,
          rollback: options.rollback,
          progress,
        });
        const changed = releases.filter((release) =>
          report.outcomes.some(
            (o) =>
              o.entry.target.release === release.name &&
              o.entry.target.namespace === release.namespace &&
              o.status !== 'unchanged',
          ),
        );
        await notify(fleet, changed, (release) => summary(report, release), progress);
        const stdout =
          options.output === 'json' ? json(deployReportJson(report)) : renderDeployReport(report);
        if (report.outcomes.some((o) => o.status === 'rollback-failed')) {
          const clusters = report.outcomes
            .filter((o) => o.status === 'rollback-failed')
            .map((o) => o.entry.target.cluster);
          done({ stdout });
          throw new RollbackError(
            `deploy ${deployId} failed and rolling back failed in ${[...new Set(clusters)].join(', ')}: these clusters need attention`,
          );
        }
        if (report.outcomes.some((o) => o.status === 'failed' || o.error)) {
          done({ stdout });
          throw new DeployError(
            report.rolledBack
              ? `deploy ${deployId} failed; every cluster it changed was rolled back`
              : `deploy ${deployId} failed (not rolled back: --no-rollback)`,
          );
        }
        done({ stdout });
      },
    );

  const rollback = addFleetOptions(new Command('rollback'))
    .description('every cluster back to the revision of a deploy id, in parallel')
    .argument('<release>', 'RELEASE or RELEASE.NAMESPACE')
    .option('--to <deploy-id>', 'the deploy to go back to')
    .option('--previous', 'the deploy before the live one')
    .option('--timeout <duration>', 'per cluster', '300')
    .option(
      '--slack-channel <channel>',
      "announce it here (default: the release file's slack_channel, if found)",
    )
    .action(
      async (
        name: string,
        options: FleetOptions & { to?: string; previous?: boolean; timeout: string; slackChannel?: string },
      ) => {
        if (!options.to === !options.previous)
          throw new UserError('give exactly one of --to DEPLOY_ID and --previous');
        const { fleet, selection } = loadSelection(options);
        const env = requireEnv(selection, 'rollback');
        const [release, namespace] = name.split('.') as [string, string?];
        const progress = streamProgress();
        const result = await rollbackToDeploy({
          clusters: selectEnvironmentClusters(fleet, env, selection),
          release,
          namespace,
          to: options.to,
          previous: !!options.previous,
          helm: await helmBinary(),
          timeoutSeconds: parseSeconds(options.timeout),
          progress,
        });
        const stdout =
          options.output === 'json' ? json(result) : renderRollback(result.deployId, result.outcomes);
        const channel = options.slackChannel ?? slackChannelOf(fleet, release, namespace);
        if (channel && result.outcomes.some((o) => o.status !== 'already-there')) {
          const parts = result.outcomes.map((o) => `${o.cluster}: ${o.status}`).join(', ');
          const announced = { name: release, slackChannel: channel } as Release;
          await notify(
            fleet,
            [announced],
            () => `regatta rollback of ${name} (${env}) to ${result.deployId}: ${parts}`,
            progress,
          );
        }
        done({ stdout });
        const failed = result.outcomes.filter((o) => o.status === 'failed').map((o) => o.cluster);
        if (failed.length > 0)
          throw new RollbackError(`rollback failed in ${failed.join(', ')}: these clusters need attention`);
      },
    );

  const status = addFleetOptions(new Command('status'))
    .description('releases × clusters: chart version, revision, state, deploy id')
    .argument('[releases...]', 'release names (default: all)')
    .action(async (names: string[], options: FleetOptions) => {
      const { fleet, selection } = loadSelection(options);
      // Without --env: every cluster of the fleet, environment by environment.
      const clusters = selection.env
        ? selectEnvironmentClusters(fleet, selection.env, selection)
        : Object.keys(fleet.environments).flatMap((env) => selectEnvironmentClusters(fleet, env, selection));
      const matrix = await statusMatrix(clusters, names);
      done({ stdout: options.output === 'json' ? json(matrix) : renderStatus(matrix) });
    });

  const history = addFleetOptions(new Command('history'))
    .description('deploy ids of a release over time, and which clusters each reached')
    .argument('<release>', 'release name')
    .action(async (name: string, options: FleetOptions) => {
      const { fleet, selection } = loadSelection(options);
      const env = requireEnv(selection, 'history');
      const clusters = selectEnvironmentClusters(fleet, env, selection);
      const result = await releaseHistory(clusters, name);
      done({
        stdout:
          options.output === 'json'
            ? json(result)
            : renderHistory(
                result.entries,
                clusters.map((c) => c.name),
              ),
      });
    });

  return [plan, diff, deploy, rollback, status, history];
}
