import { currentCommit } from '../adapters/git.js';
import type { HelmBinary } from '../adapters/helm.js';
import { DEPLOY_ID_PATTERN, newDeployId } from '../deploy/deploy-id.js';
import { realGates } from '../deploy/gates.js';
import { DeployError, InterruptedError, RollbackError, UserError, type RegattaError } from '../errors.js';
import type { Environment, Fleet } from '../model/fleet.js';
import type { Release } from '../model/release.js';
import { selectEnvironmentClusters, selectTargets, type Selection } from '../plan/select.js';
import { checkWaveName } from '../plan/waves.js';
import type { Progress } from '../report/progress.js';
import { gitopsDeploy, type GitopsDeployReport } from './deploy.js';
import { gitopsDiff, type GitopsClusterDiff } from './diff.js';
import { secretsDelivery, type SecretsDelivery } from './external-secrets.js';
import { gitopsReleases } from './prepare.js';
import { gitopsWaves } from './waves.js';

/**
 * Pure: the Flux environment a command over these releases runs in, or undefined when they are
 * all delivered by helm. One command drives one engine: a selection mixing both is refused.
 */
export function fluxEnvironment(
  fleet: Fleet,
  releases: readonly Release[],
  selection: Selection,
): Environment | undefined {
  const environments = [
    ...new Set(selectTargets(fleet, releases, selection).map(({ release }) => release.environment)),
  ].map((name) => fleet.environments[name]!);
  const flux = environments.filter((environment) => environment.engine === 'flux');
  if (flux.length === 0) return undefined;
  if (environments.length > 1)
    throw new UserError(
      `these releases span environments ${environments.map((e) => `${e.name} (${e.engine})`).join(', ')}`,
      {
        hint: `a Flux environment is deployed through git on its own: pass --env ${flux[0]!.name}`,
      },
    );
  return flux[0];
}

/** Pure: `${VAR}` in a fleet file's gitops.repo, from the environment (an unset one is exit 2). */
function expand(value: string, vars: NodeJS.ProcessEnv, at: Environment['gitops']): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const found = vars[name];
    if (!found)
      throw new UserError(`gitops.repo reads \${${name}}, which is not set`, {
        position: at?.position,
        hint: `export ${name}, or write the repository URL in the fleet file`,
      });
    return found;
  });
}

/**
 * Pure: the fleet repository and branch of a Flux environment — the flags first, then the
 * fleet file's `environments.<env>.gitops`.
 */
export function gitopsRemote(
  fleet: Fleet,
  environment: Environment,
  flags: { repo?: string; branch?: string },
  vars: NodeJS.ProcessEnv,
): { repo: string; branch: string } {
  const repo =
    flags.repo ?? (environment.gitops && expand(environment.gitops.repo, vars, environment.gitops));
  if (!repo)
    throw new UserError(
      `environment ${environment.name} is delivered by Flux but names no fleet repository`,
      {
        position: { file: fleet.file },
        hint: `add environments.${environment.name}.gitops: { repo: URL, branch: BRANCH } (as given to gitops bootstrap), or pass --repo`,
      },
    );
  return { repo, branch: flags.branch ?? environment.gitops?.branch ?? 'main' };
}

export interface FluxDeployRequest {
  fleet: Fleet;
  environment: Environment;
  selection: Selection;
  releases: readonly Release[];
  helm: HelmBinary;
  remote: { repo: string; branch: string };
  timeoutSeconds: number;
  progress: Progress;
  interrupt?: AbortSignal;
  onlyWave?: string;
  skipGates: boolean;
  /** Where secret values come from (default: the environment's setting). */
  secrets?: SecretsDelivery;
  /** `--resume ID`: the deploy paused on the fleet branch at a manual approval goes on. */
  resume?: string;
}

/**
 * `regatta deploy` (and `gitops deploy`) for a Flux environment: chart versions and values
 * resolved, the waves cut over whole clusters, then committed wave by wave (gitops/deploy.ts).
 */
export async function runGitopsDeploy(request: FluxDeployRequest): Promise<GitopsDeployReport> {
  const { fleet, environment, selection } = request;
  if (request.resume !== undefined && !DEPLOY_ID_PATTERN.test(request.resume))
    throw new UserError(`--resume ${request.resume}: not a deploy id`, {
      hint: 'the paused deploy printed its id (like 20261125T143001Z-3fa2); see regatta history',
    });
  if (request.onlyWave !== undefined) checkWaveName(request.onlyWave, request.releases, fleet);
  const clusters = selectEnvironmentClusters(fleet, environment.name, selection);
  const { releases } = await gitopsReleases(fleet, environment.name, request.releases, {
    helm: request.helm,
    clusters,
  });
  const waves = gitopsWaves(releases, clusters, fleet, {
    only: request.onlyWave,
    skipGates: request.skipGates,
  });
  // A resumed deploy keeps its id: its commits, pause and revert all carry it.
  const deployId = request.resume ?? newDeployId(await currentCommit(process.cwd()));
  for (const option of [
    ...(request.skipGates ? ['skip-gates'] : []),
    ...(request.onlyWave ? [`wave.${request.onlyWave}`] : []),
  ])
    request.progress.line(`WARNING: emergency option ${option}: gates or waves are bypassed`);
  return gitopsDeploy({
    fleet,
    environment,
    clusters,
    releases,
    waves,
    gates: realGates({
      clusters: new Map(clusters.map((cluster) => [cluster.name, cluster])),
      helm: request.helm,
      deployId,
      fleetFile: fleet.file,
      timeoutSeconds: request.timeoutSeconds,
    }),
    repo: request.remote.repo,
    branch: request.remote.branch,
    deployId,
    timeoutSeconds: request.timeoutSeconds,
    env: process.env,
    progress: request.progress,
    interrupt: request.interrupt,
    secrets: request.secrets ?? secretsDelivery(environment, {}),
    resume: request.resume !== undefined,
  });
}

/** Pure: how a Flux deploy ended, as the error the CLI exits with (undefined: it succeeded). */
export function gitopsDeployFailure(report: GitopsDeployReport): RegattaError | undefined {
  if (!report.failure) return undefined;
  const where = `deploy ${report.deployId} failed in wave ${report.failure.wave}: ${report.failure.reason}`;
  if (report.revertError)
    return new RollbackError(`${where}; its commits could not be reverted: ${report.revertError}`, {
      hint: 'those clusters run what this deploy committed under the later commits: see regatta history and status, then rollback --to a good deploy',
    });
  if (report.failure.reason === 'interrupted' && (!report.revert || report.revertConverged))
    return new InterruptedError(
      `deploy ${report.deployId} interrupted${report.revert ? `; reverted in git as ${report.revert.slice(0, 8)}, every cluster back on last good` : ' before anything was committed'}`,
    );
  if (!report.revert)
    return new DeployError(where, { hint: 'nothing was committed: every cluster is as it was' });
  if (!report.revertConverged)
    return new RollbackError(
      `${where}; reverted in git as ${report.revert.slice(0, 8)}, but not every cluster is back on a Ready release`,
      { hint: 'Flux keeps reconciling the reverted state: see regatta status' },
    );
  return new DeployError(
    `${where}; reverted in git as ${report.revert.slice(0, 8)} and every cluster is back on last good`,
  );
}

/** What `plan` and `diff` show for a Flux environment: its waves, and what each cluster's folder would get. */
export interface GitopsPlan {
  environment: string;
  repo: string;
  branch: string;
  /** `approval`: a deploy pauses before this wave until `deploy --resume`. */
  waves: { name: string; clusters: string[]; approval: boolean }[];
  clusters: GitopsClusterDiff[];
}

/** `plan` / `diff` of a Flux environment: nothing is committed, pushed or created. */
export async function runGitopsPlan(
  request: Omit<FluxDeployRequest, 'progress' | 'interrupt' | 'onlyWave' | 'skipGates' | 'resume'>,
): Promise<GitopsPlan> {
  const { fleet, environment, selection } = request;
  const clusters = selectEnvironmentClusters(fleet, environment.name, selection);
  const { releases } = await gitopsReleases(fleet, environment.name, request.releases, {
    helm: request.helm,
    clusters,
  });
  const waves = gitopsWaves(releases, clusters, fleet, { skipGates: false });
  const diffs = await gitopsDiff({
    fleet,
    environment,
    clusters,
    releases,
    repo: request.remote.repo,
    branch: request.remote.branch,
    timeoutSeconds: request.timeoutSeconds,
    env: process.env,
    secrets: request.secrets ?? secretsDelivery(environment, {}),
  });
  return {
    environment: environment.name,
    ...request.remote,
    waves: waves.map((wave) => ({ name: wave.name, clusters: wave.clusters, approval: wave.approval })),
    clusters: diffs,
  };
}
