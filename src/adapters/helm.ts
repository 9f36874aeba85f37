import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { assetsDir } from '../paths.js';
import type { ChartReference } from '../model/plan.js';
import type { ReplicaCount } from '../model/release.js';
import { helmPhases, LineClock, postRenderSeconds, withoutDebugLog, type HelmPhases } from './helm-phases.js';
import { ProcessError, run, type RunOptions } from './process.js';
import { QuietWatch } from './quiet-watch.js';
import { SILENT_HELM_TEXT } from './transient.js';
import { UserError } from '../errors.js';
import { revealValuesForHelm } from '../values/secret.js';

/** How to run one helm binary. */
export interface HelmBinary {
  path: string;
  major: 3 | 4;
  env: NodeJS.ProcessEnv;
}

/** Where a cluster is: passed to every helm call as --kube-context / --kubeconfig. */
export interface HelmCluster {
  context: string;
  kubeconfig?: string;
}

export type { ChartReference };

export interface ReleaseTarget {
  release: string;
  namespace: string;
  cluster: HelmCluster;
}

const POST_RENDERER = 'regatta-scale';

/** A helm failure: carries helm's own message (which never holds our values: they go on stdin). */
export class HelmError extends Error {
  constructor(
    readonly action: string,
    readonly stderr: string,
  ) {
    super(`helm ${action} failed: ${HelmError.summary(stderr)}`);
    this.name = 'HelmError';
  }

  /**
   * Helm 4's watcher (kstatus) gave up on a Deployment because of its `ProgressDeadlineExceeded`
   * condition — which may come from a clock older than this change (see plan/rollout.ts).
   */
  get readProgressDeadline(): boolean {
    return /status: Failed, message: Progress deadline exceeded/.test(this.stderr);
  }

  /** What a user should do about it, where helm's own message does not say. */
  get hint(): string | undefined {
    if (/TillerVersion/.test(this.stderr)) {
      return ".Capabilities.TillerVersion existed only in Helm 2: remove it from the template (e.g. the seed Secret's tillerVersion label), or use .Capabilities.HelmVersion";
    }
    return undefined;
  }

  /** Helm's own "Error: ..." line with its indented continuation lines (its log lines repeat it), else its last line. */
  static summary(stderr: string): string {
    const lines = stderr.trim().split('\n');
    const start = lines.map((line) => line.startsWith('Error: ')).lastIndexOf(true);
    if (start === -1) return lines.filter(Boolean).at(-1) ?? 'no output';
    const continuation = lines.slice(start + 1).findIndex((line) => !/^\s+\S/.test(line));
    const end = continuation === -1 ? lines.length : start + 1 + continuation;
    return lines
      .slice(start, end)
      .map((line) => line.trim())
      .join(' ')
      .replace(/^Error: /, '');
  }
}

/**
 * Helm 4 applies server-side: an HPA's controller then owns spec.replicas and every upgrade
 * would conflict. The release files are the source of truth, so their fields win.
 */
function applyArgs(helm: HelmBinary): string[] {
  return helm.major === 4 ? ['--wait=watcher', '--force-conflicts'] : ['--wait'];
}

/** `credentials`: more variables helm must not inherit (those the fleet file names). */
export async function detectHelm(
  path: string,
  env: NodeJS.ProcessEnv,
  credentials: readonly string[] = [],
): Promise<HelmBinary> {
  const helmEnv = helmEnvironment(env, credentials);
  const result = await run(path, ['version', '--short'], { env: helmEnv }).catch((error: unknown) => {
    if (error instanceof UserError) {
      throw new UserError(`${path}: helm not found`, {
        hint: 'install Helm 3.17+ or 4.x, or set REGATTA_HELM',
      });
    }
    throw error;
  });
  const major = /^v(\d+)\./.exec(result.stdout.trim())?.[1];
  if (major !== '3' && major !== '4')
    throw new UserError(`unsupported helm version ${result.stdout.trim()}`, { hint: 'use Helm 3 or 4' });
  return { path, major: Number(major) as 3 | 4, env: helmEnv };
}

/** Credentials helm (and the post-renderer it runs) must not inherit: Vault's and OpenBao's. */
const CREDENTIAL_VARIABLES = /^(VAULT|BAO)_/;

/**
 * What helm runs with: our environment without Vault credentials, and HELM_PLUGINS extended
 * (not replaced: the user's own plugins keep working) by our post-renderer, a Helm 4 plugin.
 */
export function helmEnvironment(
  env: NodeJS.ProcessEnv,
  alsoWithout: readonly string[] = [],
): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (!CREDENTIAL_VARIABLES.test(name) && !alsoWithout.includes(name)) result[name] = value;
  }
  const ours = join(assetsDir(), 'helm-plugins');
  result.HELM_PLUGINS = env.HELM_PLUGINS ? `${ours}${delimiter}${env.HELM_PLUGINS}` : ours;
  return result;
}

function clusterArgs(cluster: HelmCluster): string[] {
  return [
    '--kube-context',
    cluster.context,
    ...(cluster.kubeconfig ? ['--kubeconfig', cluster.kubeconfig] : []),
  ];
}

function chartArgs(chart: ChartReference): string[] {
  switch (chart.kind) {
    case 'path':
      return [chart.path];
    case 'repo':
      return [chart.name, '--repo', chart.repoUrl, '--version', chart.version];
    case 'oci':
      return [chart.url, '--version', chart.version, ...(chart.plainHttp ? ['--plain-http'] : [])];
  }
}

/** Always run: it also leaves out replica counts an autoscaler owns (plan/scaling.ts). */
function postRendererArgs(helm: HelmBinary, replicas: readonly ReplicaCount[]): string[] {
  const renderer =
    helm.major === 4 ? POST_RENDERER : join(assetsDir(), 'helm-plugins', POST_RENDERER, 'post-render');
  return ['--post-renderer', renderer, '--post-renderer-args', JSON.stringify(replicas)];
}

/** The one place a Secret's value is taken out of it: straight onto helm's standard input. */
function helmStdin(values: Record<string, unknown>): string {
  return revealValuesForHelm(values);
}

async function helmRun(
  helm: HelmBinary,
  action: string,
  args: string[],
  input?: string,
  signal?: AbortSignal,
  more: Pick<RunOptions, 'discardStdout' | 'onStderr' | 'env' | 'killAfterMs'> = {},
): Promise<string> {
  try {
    return (await run(helm.path, args, { env: helm.env, input, signal, ownProcessGroup: true, ...more }))
      .stdout;
  } catch (error) {
    if (error instanceof ProcessError) {
      // Without the --debug records of a timed run: the error reads as it would without them.
      throw new HelmError(action, withoutDebugLog(error.result.stderr) || error.result.stdout);
    }
    throw error;
  }
}

export interface RenderOptions extends ReleaseTarget {
  chart: ChartReference;
  /** The complete values (Secrets inside): sent on standard input, never on the command line or disk. */
  values: Record<string, unknown>;
  kubeVersion?: string;
}

/** `helm pull` of an OCI chart into `destination` (an empty folder); returns the archive's path. */
export async function pullOciChart(
  helm: HelmBinary,
  chart: Extract<ChartReference, { kind: 'oci' }>,
  destination: string,
): Promise<string> {
  await helmRun(helm, 'pull', ['pull', ...chartArgs(chart), '--destination', destination]);
  const [archive] = readdirSync(destination).filter((name) => name.endsWith('.tgz'));
  if (!archive) throw new HelmError('pull', `helm pull wrote no chart archive for ${chart.url}`);
  return join(destination, archive);
}

/** `helm template`: the manifests the chart renders for these values (hooks included). */
export function renderChart(helm: HelmBinary, options: RenderOptions): Promise<string> {
  return helmRun(
    helm,
    'template',
    [
      'template',
      options.release,
      ...chartArgs(options.chart),
      '--namespace',
      options.namespace,
      '--values',
      '-',
      ...(options.kubeVersion ? ['--kube-version', options.kubeVersion] : []),
    ],
    helmStdin(options.values),
  );
}

export interface UpgradeOptions extends RenderOptions {
  replicas: readonly ReplicaCount[];
  labels: Record<string, string>;
  timeoutSeconds: number;
  /** No release of this name exists yet: `helm install` (see below) instead of `upgrade --install`. */
  firstInstall: boolean;
  /**
   * Aborting sends helm SIGTERM: it cancels its wait, records the revision as failed and exits
   * (a deploy stopping after another target failed, or on Ctrl-C).
   */
  signal?: AbortSignal;
  /** Hears where the run's time went, once it has ended (failed or not). */
  onPhases?: (phases: HelmPhases) => void;
}

/**
 * `helm upgrade --install` (or `helm install` for a release with no history), waiting for every
 * resource to be ready, into an existing namespace. Helm 4's `upgrade --install` drops
 * --disable-openapi-validation when it falls through to an install, so a first install is asked
 * for directly.
 */
export async function upgradeInstall(helm: HelmBinary, options: UpgradeOptions): Promise<void> {
  const clock = new LineClock();
  const timing = postRenderTimingFile();
  const started = performance.now();
  const quiet = new QuietWatch(
    Math.max(options.timeoutSeconds * 1000, QUIET_FLOOR_MS) + QUIET_GRACE_MS,
    options.signal,
  );
  try {
    await upgradeRun(helm, { ...options, signal: quiet.signal }, clock, timing, () => quiet.heard());
  } catch (error) {
    if (!quiet.fired) throw error;
    throw new HelmError(
      options.firstInstall ? 'install' : 'upgrade',
      silentHelmMessage(quiet.limitMs, options.timeoutSeconds),
    );
  } finally {
    quiet.stop();
    const phases = helmPhases(clock.finish(), started, performance.now());
    const postRender = readPostRenderTiming(timing);
    options.onPhases?.(postRender === undefined ? phases : { ...phases, postRender });
  }
}

/** What helm's stderr is taken to say when it was stopped for its silence (transient.ts reads it as no answer). */
export function silentHelmMessage(limitMs: number, timeoutSeconds: number): string {
  return `Error: ${SILENT_HELM_TEXT} ${Math.round(limitMs / 1000)}s (--timeout ${timeoutSeconds}s): stopped (does the API server still answer?)`;
}

/** The folder post-renderers leave their timings in: one per Regatta process, removed at its exit. */
let timingDir: string | undefined;

/**
 * A file of its own for one helm run's post-renderer to leave its time in (holds numbers only);
 * none when no temporary folder can be made: a timing is not worth failing a deploy for.
 */
function postRenderTimingFile(): string | undefined {
  try {
    if (!timingDir) {
      const dir = mkdtempSync(join(tmpdir(), 'regatta-timings-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      timingDir = dir;
    }
    return join(timingDir, randomUUID());
  } catch {
    return undefined;
  }
}

function readPostRenderTiming(file: string | undefined): number | undefined {
  if (!file) return undefined;
  try {
    return postRenderSeconds(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // helm stopped before post-rendering
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Helm waits at most --timeout for any one thing (a hook, the resources) and logs (--debug)
 * between them: silent for longer than that and this, it is stuck on a connection that stopped
 * answering (recording its failure, say), and is stopped. A backstop: a cluster that stops
 * answering fails the deploy sooner (the lock's heartbeat).
 */
const QUIET_GRACE_MS = 30_000;
/**
 * Not less than this, whatever --timeout says: a few steps are silent and not bounded by it
 * (Helm 3 fetching the OpenAPI document, reading and writing release records over a thin link).
 */
const QUIET_FLOOR_MS = 300_000;
/** A helm stopped (SIGTERM) records the revision as failed; over a dead link it is killed then. */
const KILL_AFTER_MS = 10_000;

function upgradeRun(
  helm: HelmBinary,
  options: UpgradeOptions,
  clock: LineClock,
  timingFile: string | undefined,
  heard: () => void,
): Promise<string> {
  return helmRun(
    helm,
    options.firstInstall ? 'install' : 'upgrade',
    [
      ...(options.firstInstall
        ? ['install', options.release]
        : // Never --reuse-values: every deploy carries the complete values.
          ['upgrade', '--install', options.release, '--reset-values']),
      ...chartArgs(options.chart),
      // No --create-namespace: the caller creates it. Helm checks the Namespace object it would
      // create against the core group's OpenAPI document, whatever the flags say, and fetching
      // and decoding that large document was over half of an install's CPU time.
      '--namespace',
      options.namespace,
      '--values',
      '-',
      ...applyArgs(helm),
      // Server-side apply checks every field against the API server's own schema (an unknown
      // field fails the apply), so Helm 4's client-side OpenAPI check only repeats it, at the
      // cost of fetching and decoding the OpenAPI document of each group in every process.
      ...(helm.major === 4 ? ['--disable-openapi-validation'] : []),
      '--timeout',
      `${options.timeoutSeconds}s`,
      '--labels',
      Object.entries(options.labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(','),
      ...postRendererArgs(helm, options.replicas),
      ...clusterArgs(options.cluster),
      // Its log lines tell when the wait began and ended (adapters/helm-phases.ts). --debug also
      // makes helm print the computed values, Secrets included, on stdout: discarded unread.
      '--debug',
    ],
    helmStdin(options.values),
    options.signal,
    {
      discardStdout: true,
      onStderr: (chunk) => {
        clock.push(chunk);
        heard();
      },
      killAfterMs: KILL_AFTER_MS,
      env: timingFile ? { ...helm.env, REGATTA_POST_RENDER_TIMING: timingFile } : helm.env,
    },
  );
}

/**
 * `helm rollback` to a revision (stopped by `signal`), without waiting for rollouts: Helm's wait
 * would read the Deployment condition left by the failed rollout as a failure of this one (see
 * plan/rollout.ts), so the caller waits itself.
 */
export async function rollbackRelease(
  helm: HelmBinary,
  target: ReleaseTarget,
  revision: number,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<void> {
  await helmRun(
    helm,
    'rollback',
    [
      'rollback',
      target.release,
      String(revision),
      '--namespace',
      target.namespace,
      ...(helm.major === 4 ? ['--force-conflicts'] : []),
      '--timeout',
      `${timeoutSeconds}s`,
      ...clusterArgs(target.cluster),
    ],
    undefined,
    signal,
    { killAfterMs: KILL_AFTER_MS },
  );
}

export async function uninstallRelease(
  helm: HelmBinary,
  target: ReleaseTarget,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<void> {
  await helmRun(
    helm,
    'uninstall',
    [
      'uninstall',
      target.release,
      '--namespace',
      target.namespace,
      '--wait',
      '--timeout',
      `${timeoutSeconds}s`,
      ...clusterArgs(target.cluster),
    ],
    undefined,
    signal,
    { killAfterMs: KILL_AFTER_MS },
  );
}

/** `helm lint` of a chart folder with these values (on stdin); its [ERROR] lines become the message. */
export async function lintChart(
  helm: HelmBinary,
  dir: string,
  values: Record<string, unknown>,
): Promise<void> {
  try {
    await run(helm.path, ['lint', dir, '--values', '-'], { env: helm.env, input: helmStdin(values) });
  } catch (error) {
    if (!(error instanceof ProcessError)) throw error;
    const problems = error.result.stdout
      .split('\n')
      .filter((line) => line.startsWith('[ERROR]'))
      .map((line) => line.trim());
    throw new HelmError('lint', problems.length > 0 ? `Error: ${problems.join(' ')}` : error.result.stderr);
  }
}

/** `helm dependency update`: refreshes Chart.lock and charts/ after a dependency's version moved. */
export async function updateDependencies(helm: HelmBinary, dir: string): Promise<void> {
  await helmRun(helm, 'dependency update', ['dependency', 'update', dir, '--skip-refresh']);
}

/** `helm package` into a folder; returns the .tgz path. */
export async function packageChart(helm: HelmBinary, dir: string, outDir: string): Promise<string> {
  const stdout = await helmRun(helm, 'package', ['package', dir, '--destination', outDir]);
  const path = /saved it to: (.+\.tgz)/.exec(stdout)?.[1];
  if (!path) throw new Error(`helm package printed no path: ${stdout.trim()}`);
  return path.trim();
}

/** `helm push` of a packaged chart to an OCI registry. */
export async function pushChart(
  helm: HelmBinary,
  tgz: string,
  ociUrl: string,
  plainHttp: boolean,
): Promise<void> {
  await helmRun(helm, 'push', ['push', tgz, ociUrl, ...(plainHttp ? ['--plain-http'] : [])]);
}

/** `helm test`: runs the release's test hooks; rejects if one fails. */
export async function testRelease(
  helm: HelmBinary,
  target: ReleaseTarget,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<void> {
  await helmRun(
    helm,
    'test',
    [
      'test',
      target.release,
      '--namespace',
      target.namespace,
      '--timeout',
      `${timeoutSeconds}s`,
      ...clusterArgs(target.cluster),
    ],
    undefined,
    signal,
  );
}
