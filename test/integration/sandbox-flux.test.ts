import assert from 'node:assert/strict';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { httpRequest } from '../../src/adapters/http.js';
import {
  annotateObject,
  applyObjects,
  listObjects,
  readObject,
  type KubeObject,
} from '../../src/adapters/kube-objects.js';
import { run } from '../../src/adapters/process.js';
import { vaultRequest } from '../../src/adapters/vault.js';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { sandboxEnvironment } from '../../src/sandbox/sandbox.js';
import { readState, type SandboxState } from '../../src/sandbox/state.js';
import { attempt, fixtureChart, regatta } from './support/sandbox.js';

// Its own three-cluster sandbox with Flux, so the suite's shared sandbox needs no Flux binaries;
// with a proxy in front of each API server (`--latency zero`: nothing added), as users' clusters
// are far: Flux reaches its API server through it, as helm and kubectl do.
const work = mkdtempSync(join(tmpdir(), 'flux-test-'));
const dir = join(work, 'sandbox');
let state: SandboxState;
let env: NodeJS.ProcessEnv;

const WAIT_MS = 300_000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
type Reconciled = KubeObject & {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; conditions?: Condition[]; lastAttemptedRevision?: string };
};

/** Ready=True for the object's current generation: Flux's own meaning of done. */
function readyNow(object: Reconciled | undefined): boolean {
  if (!object?.status) return false;
  return (
    object.status.observedGeneration === object.metadata.generation &&
    (object.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline)
      assert.fail(`${what} not reached in ${WAIT_MS / 1000}s: ${JSON.stringify(last)}`);
    await sleep(1_000);
    last = await read();
  }
  return last;
}

/** The remote ports of a process's established TCP connections on 127.0.0.1 (from /proc). */
function remotePortsOf(pid: number): number[] {
  const sockets = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        } catch {
          return undefined; // closed meanwhile
        }
      })
      .filter((inode): inode is string => inode !== undefined),
  );
  // Columns: sl local_address rem_address st ... inode (10th); 01 is ESTABLISHED.
  return readFileSync(`/proc/${pid}/net/tcp`, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '01' && sockets.has(fields[9] ?? ''))
    .map((fields) => parseInt(fields[2]?.split(':')[1] ?? '', 16));
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await attempt('git', args, { cwd, env });
  assert.equal(result.exitCode, 0, `git ${args[0]}: ${result.stderr}`);
  return result.stdout.trim();
}

before(async () => {
  const up = await regatta(['sandbox', 'up', '--flux', '--clusters', '3', '--latency', 'zero', '--dir', dir]);
  assert.equal(up.exitCode, 0, up.stderr);
  state = readState(sandboxPaths(dir).state) as SandboxState;
  env = {
    ...process.env,
    ...sandboxEnvironment(dir, process.env),
    GIT_AUTHOR_NAME: 'regatta-test',
    GIT_AUTHOR_EMAIL: 'test@regatta.invalid',
    GIT_COMMITTER_NAME: 'regatta-test',
    GIT_COMMITTER_EMAIL: 'test@regatta.invalid',
  };
});

after(async () => {
  await regatta(['sandbox', 'down', '--dir', dir]);
  rmSync(work, { recursive: true, force: true });
});

describe('sandbox with Flux', () => {
  it('status shows the git server and every controller up; env exports REGATTA_GIT_URL', async () => {
    const status = await regatta(['sandbox', 'status', '--dir', dir, '--output', 'json']);
    assert.equal(status.exitCode, 0, status.stdout);
    const { components } = JSON.parse(status.stdout) as { components: { name: string; up: boolean }[] };
    const cluster = state.clusters[0] as string;
    for (const name of [
      'git-server',
      `${cluster}/source-controller`,
      `${cluster}/kustomize-controller`,
      `${cluster}/helm-controller`,
    ]) {
      assert.equal(components.find((c) => c.name === name)?.up, true, `${name} is up`);
    }
    assert.match(env.REGATTA_GIT_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("Flux's controllers talk to their API server through the cluster's proxy, never to it directly", () => {
    for (const cluster of state.ports.clusters) {
      assert.ok(cluster.proxy, `${cluster.name} has a proxy`);
      for (const controller of ['source-controller', 'kustomize-controller', 'helm-controller']) {
        const pid = state.components.find((c) => c.definition.name === `${cluster.name}/${controller}`)
          ?.process?.pid;
        assert.ok(pid, `${cluster.name}/${controller} runs`);
        const remotes = remotePortsOf(pid);
        assert.ok(remotes.includes(cluster.proxy), `${cluster.name}/${controller} → ${remotes.join(', ')}`);
        assert.ok(
          !remotes.includes(cluster.apiserver),
          `${cluster.name}/${controller} → ${remotes.join(', ')}`,
        );
      }
    }
  });

  it('a pushed chart + HelmRelease reaches the cluster through GitRepository → Kustomization → HelmRelease', async (t) => {
    const cluster = state.clusters[0] as string;
    const target = { kubeconfig: sandboxPaths(dir).kubeconfig, context: cluster };
    const repoUrl = `${env.REGATTA_GIT_URL}/fleet/flux-loop.git`;

    // The repository: a chart next to the manifests that deploy it (the seed's "chart next to the code").
    const checkout = join(work, 'checkout');
    mkdirSync(join(checkout, 'deploy'), { recursive: true });
    cpSync(fixtureChart('web'), join(checkout, 'charts', 'web'), { recursive: true });
    const helmRelease = {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'web', namespace: 'flux-loop' },
      spec: {
        interval: '1m',
        chart: {
          spec: {
            chart: './charts/web',
            reconcileStrategy: 'Revision',
            sourceRef: { kind: 'GitRepository', name: 'flux-loop', namespace: 'flux-system' },
          },
        },
        values: { replicas: 3, global: { clusterName: cluster } },
      },
    };
    writeFileSync(
      join(checkout, 'deploy', 'release.yaml'),
      [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-loop' } }, helmRelease]
        .map((object) => stringify(object))
        .join('---\n'),
    );
    await git(checkout, 'init', '--quiet', '--initial-branch=main');
    await git(checkout, 'add', '.');
    await git(checkout, 'commit', '--quiet', '-m', 'web chart and its HelmRelease');
    const pushedAt = Date.now();
    await git(checkout, 'push', '--quiet', repoUrl, 'main');
    const commit = await git(checkout, 'rev-parse', 'HEAD');

    await applyObjects(target, [
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'flux-loop', namespace: 'flux-system' },
        spec: { url: repoUrl, interval: '10s', ref: { branch: 'main' } },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'flux-loop', namespace: 'flux-system' },
        spec: {
          interval: '1m',
          path: './deploy',
          prune: true,
          sourceRef: { kind: 'GitRepository', name: 'flux-loop' },
        },
      },
    ]);

    const source = await waitFor(
      'GitRepository Ready',
      () =>
        readObject<Reconciled & { status?: { artifact?: { revision?: string } } }>(target, {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'GitRepository',
          name: 'flux-loop',
          namespace: 'flux-system',
        }),
      readyNow,
    );
    assert.equal(source?.status?.artifact?.revision, `main@sha1:${commit}`);

    const release = await waitFor(
      'HelmRelease Ready',
      () =>
        readObject<Reconciled>(target, {
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          kind: 'HelmRelease',
          name: 'web',
          namespace: 'flux-loop',
        }),
      readyNow,
    );
    t.diagnostic(`git push → HelmRelease Ready: ${((Date.now() - pushedAt) / 1000).toFixed(1)}s`);
    // A chart from git is versioned by its source revision too (reconcileStrategy: Revision).
    assert.equal(release?.status?.lastAttemptedRevision, `1.0.0+${commit.slice(0, 12)}`);

    const deployment = await readObject<KubeObject & { spec: { replicas: number } }>(target, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      namespace: 'flux-loop',
    });
    assert.equal(deployment?.spec.replicas, 3, 'the values of the HelmRelease reached the Deployment');
    const labels = deployment?.metadata.labels as Record<string, string> | undefined;
    assert.equal(labels?.['helm.toolkit.fluxcd.io/name'], 'web', 'helm-controller installed it');
  });
});

const CANARY = 'flux-canary-7f3e9a1c';
const CANARY2 = 'flux-canary-2b8d0e44';

/** The web fixture chart in ChartMuseum at `version`. */
async function publishWeb(version: string): Promise<void> {
  const out = mkdtempSync(join(work, 'chart-'));
  const chart = join(out, 'web');
  cpSync(fixtureChart('web'), chart, { recursive: true });
  const chartYaml = join(chart, 'Chart.yaml');
  writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace('version: 1.0.0', `version: ${version}`));
  // A subchart that writes down the globals it receives: every chart and subchart gets them.
  const where = join(chart, 'charts', 'where');
  mkdirSync(join(where, 'templates'), { recursive: true });
  writeFileSync(join(where, 'Chart.yaml'), 'apiVersion: v2\nname: where\nversion: 0.1.0\n');
  writeFileSync(
    join(where, 'templates', 'configmap.yaml'),
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-where',
      'data:',
      ...['cloud', 'env', 'region', 'clusterName'].map(
        (key) => `  ${key}: {{ .Values.global.${key} | quote }}`,
      ),
      '',
    ].join('\n'),
  );
  await run('helm', ['package', chart, '-d', out], { env });
  const upload = await httpRequest(`http://127.0.0.1:${state.ports.chartmuseum}/api/charts?force=true`, {
    method: 'POST',
    body: readFileSync(join(out, `web-${version}.tgz`)),
  });
  assert.equal(upload.status, 201, upload.body);
}

describe('regatta gitops on Flux', () => {
  let fleetFile: string;
  let releaseFile: string;
  let repo: string;
  let firstDeployId: string;
  const namespace = 'gitops-web';
  const deployment = (cluster: string) =>
    readObject<KubeObject & { spec: { replicas: number } }>(
      { kubeconfig: sandboxPaths(dir).kubeconfig, context: cluster },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace },
    );

  const kube = (cluster: string) => ({ kubeconfig: sandboxPaths(dir).kubeconfig, context: cluster });
  /** The Secret the cluster's HelmRelease reads its secret values from. */
  const valuesFromSecret = async (cluster: string) =>
    (
      await readObject<KubeObject & { spec: { valuesFrom?: { name: string }[] } }>(kube(cluster), {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        name: 'web',
        namespace,
      })
    )?.spec.valuesFrom?.[0]?.name;
  const secretValues = async (cluster: string, name: string) => {
    const secret = await readObject<KubeObject & { data: Record<string, string> }>(kube(cluster), {
      apiVersion: 'v1',
      kind: 'Secret',
      name,
      namespace,
    });
    return Buffer.from(secret?.data['values.yaml'] ?? '', 'base64').toString();
  };
  const writeVault = (password: string) =>
    vaultRequest(
      { address: env.VAULT_ADDR as string, token: env.VAULT_TOKEN as string },
      'POST',
      'secret/data/flux-test/web',
      {
        data: { password },
      },
    );

  before(async () => {
    await publishWeb('1.0.0');
    await writeVault(CANARY);
    const fleetDir = join(work, 'fleet');
    mkdirSync(fleetDir, { recursive: true });
    fleetFile = join(fleetDir, 'regatta.yaml');
    writeProdFleet(fleetFile);
    releaseFile = join(fleetDir, 'web.yaml');
    writeWebRelease({ replicas: 2 });
    repo = `${env.REGATTA_GIT_URL}/fleet/prod.git`;
  });

  /** The prod Flux environment over the sandbox's clusters, with `extra` settings for it. */
  function writeProdFleet(file: string, extra: Record<string, unknown> = {}): void {
    writeFileSync(
      file,
      stringify({
        apiVersion: 'regatta/v1',
        kind: 'Fleet',
        environments: {
          prod: {
            engine: 'flux',
            branches: ['prod'],
            chartRepository: { url: `http://127.0.0.1:${state.ports.chartmuseum}` },
            ...extra,
          },
        },
        // The others pin imageSuffix empty: a release asking for -broken breaks only the first.
        clusters: state.clusters.map((name, index) => ({
          name,
          env: 'prod',
          region: `region-${index}`,
          ...(index >= 1 ? { globals: { imageSuffix: '' } } : {}),
        })),
      }),
    );
  }

  function writeWebRelease(values: Record<string, unknown>): void {
    writeFileSync(
      releaseFile,
      stringify({
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: `web.${namespace}`, environment: 'prod' },
        spec: {
          chart_name: 'web',
          chart_version: '1.0.0',
          values,
          scaling: [{ context: state.clusters[1], replicas: [{ name: 'web', count: 4 }] }],
          secrets: [
            {
              secret_id: 'db_password',
              contexts: [{ name: 'default', vaultPath: 'secret/flux-test/web', vaultKey: 'password' }],
            },
          ],
        },
      }),
    );
  }

  /**
   * Regatta on the prod environment in two waves — canary (the first cluster), then the rest —
   * with `rollout` settings added and the repository of gitops bootstrap read from the
   * environment, as a user's CI would.
   */
  function wavesCli(name: string, rollout: Record<string, unknown> = {}) {
    const file = join(dirname(fleetFile), name);
    writeProdFleet(file, {
      gitops: { repo: '${REGATTA_GIT_URL}/fleet/prod.git', branch: 'prod' },
      rollout: {
        waves: [
          { name: 'canary', clusters: { names: [state.clusters[0]] } },
          { name: 'rest', clusters: { selector: {} } },
        ],
        ...rollout,
      },
    });
    return (...args: string[]) => regatta([...args, '--fleet', file, '--env', 'prod'], env);
  }

  /** The newest `count` commit subjects of the fleet branch. */
  const subjects = async (count: number) => {
    const clone = mkdtempSync(join(work, 'log-'));
    await git(work, 'clone', '--quiet', '--branch', 'prod', repo, clone);
    return (await git(clone, 'log', `-${count}`, '--format=%s')).split('\n');
  };

  /** `regatta gitops render` of the web release into DIR; then each cluster's file of it in FOLDER. */
  const renderWeb = async (out: string, extra: string[], runEnv = env) => {
    const result = await regatta(
      ['gitops', 'render', '--fleet', fleetFile, '--env', 'prod', '--out', out, ...extra, releaseFile],
      runEnv,
    );
    assert.equal(result.exitCode, 0, result.stderr);
    return (folder: string) =>
      state.clusters.map((cluster) =>
        readFileSync(join(out, 'clusters', cluster, folder, `web.${namespace}.yaml`), 'utf8'),
      );
  };

  it('render writes one folder per cluster with no secret value in it', async () => {
    const rendered = await renderWeb(join(work, 'rendered'), []);
    for (const content of rendered('releases')) {
      assert.match(content, /kind: HelmRelease/);
      assert.doesNotMatch(content, new RegExp(CANARY));
    }
  });

  it('render --secrets external-secrets needs no Vault: ExternalSecrets with the path, never the value', async () => {
    const noVault = { ...env, VAULT_ADDR: 'http://127.0.0.1:1', VAULT_TOKEN: '' };
    const rendered = await renderWeb(join(work, 'rendered-eso'), ['--secrets', 'external-secrets'], noVault);
    for (const content of rendered('external-secrets')) {
      assert.match(content, /kind: ExternalSecret/);
      assert.match(content, /key: secret\/flux-test\/web\n\s+property: password/);
      assert.doesNotMatch(content, new RegExp(CANARY));
    }
  });

  /** `regatta gitops <command>` for the prod environment, its repository and branch. */
  const gitopsCli = (command: 'bootstrap' | 'deploy', ...extra: string[]) =>
    regatta(
      [
        'gitops',
        command,
        '--fleet',
        fleetFile,
        '--env',
        'prod',
        '--repo',
        repo,
        '--branch',
        'prod',
        ...extra,
        releaseFile,
      ],
      env,
    );

  it('bootstrap --secrets external-secrets refuses clusters without the operator, touching nothing', async () => {
    const result = await gitopsCli('bootstrap', '--secrets', 'external-secrets');
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(
      result.stderr,
      /no External Secrets Operator: CRD externalsecrets\.external-secrets\.io missing/,
    );
    for (const cluster of state.clusters)
      assert.equal(
        await readObject(kube(cluster), {
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'GitRepository',
          name: 'regatta-fleet',
          namespace: 'flux-system',
        }),
        undefined,
        `${cluster}: no sync object was applied`,
      );
  });

  it('bootstrap + deploy: a commit reaches every cluster through Flux, with per-cluster replicas', async (t) => {
    const bootstrap = await gitopsCli('bootstrap');
    assert.equal(bootstrap.exitCode, 0, bootstrap.stderr);
    const started = Date.now();
    const deploy = await gitopsCli('deploy');
    assert.equal(deploy.exitCode, 0, `${deploy.stdout}\n${deploy.stderr}`);
    firstDeployId = /^deploy (\S+)$/m.exec(deploy.stdout)?.[1] as string;
    assert.ok(firstDeployId, deploy.stdout);
    t.diagnostic(
      `gitops deploy (commit → every HelmRelease Ready in 2 clusters): ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    for (const cluster of state.clusters)
      assert.match(deploy.stdout, new RegExp(`web\\.${namespace}\\s+${cluster}\\s+ready`), deploy.stdout);
    assert.equal((await deployment(state.clusters[0] as string))?.spec.replicas, 2);
    assert.equal(
      (await deployment(state.clusters[1] as string))?.spec.replicas,
      4,
      'the post-renderer patch',
    );

    for (const [index, cluster] of state.clusters.entries()) {
      const where = await readObject<KubeObject & { data: Record<string, string> }>(kube(cluster), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'web-where',
        namespace,
      });
      assert.deepEqual(
        where?.data,
        { cloud: 'false', env: 'prod', region: `region-${index}`, clusterName: cluster },
        `the globals a subchart received in ${cluster}`,
      );
    }

    const again = await gitopsCli('deploy');
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /nothing changed/);
  });

  it('the secret reached the cluster in a Secret, and is nowhere in the repository history', async () => {
    const clone = join(work, 'audit');
    await git(work, 'clone', '--quiet', '--branch', 'prod', repo, clone);
    const history = await git(clone, 'log', '--all', '-p');
    assert.match(history, /Regatta-Deploy-Id: /);
    assert.doesNotMatch(history, new RegExp(CANARY));
    const name = await valuesFromSecret(state.clusters[0] as string);
    assert.match(name ?? '', /^regatta-web-secrets-\d{8}t\d{6}z-/);
    assert.match(await secretValues(state.clusters[0] as string, name as string), new RegExp(CANARY));
  });

  it('a manual scale is corrected by drift detection', async () => {
    const cluster = state.clusters[1] as string;
    const target = { kubeconfig: sandboxPaths(dir).kubeconfig, context: cluster };
    const scaled = await attempt(
      'kubectl',
      ['--context', cluster, '-n', namespace, 'scale', 'deployment/web', '--replicas=1'],
      {
        env,
      },
    );
    assert.equal(scaled.exitCode, 0, scaled.stderr);
    assert.equal((await deployment(cluster))?.spec.replicas, 1);
    await annotateObject(
      target,
      { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'web', namespace },
      { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() },
    );
    await waitFor(
      'replicas corrected to 4',
      () => deployment(cluster),
      (d) => d?.spec.replicas === 4,
    );
    // status shows Flux's correction (helm-controller's DriftCorrected event), in that cluster only.
    const status = await waitFor(
      'status showing the correction',
      () => regatta(['status', '--fleet', fleetFile, '--env', 'prod'], env),
      (result) => new RegExp(`web\\.${namespace}\\s+${cluster}\\s.*\\bcorrected \\d{4}-`).test(result.stdout),
    );
    assert.equal(status.exitCode, 0, status.stderr);
    assert.doesNotMatch(
      status.stdout,
      new RegExp(`web\\.${namespace}\\s+${state.clusters[0]}\\s.*\\bcorrected`),
    );
  });

  it('a changed release file, rendered and pushed with plain git, reaches every cluster with no deploy: each Flux pulls it', async () => {
    // The seed's workflow: a reviewed change merged into the environment's branch deploys itself.
    const clone = join(work, 'plain-git');
    await git(work, 'clone', '--quiet', '--branch', 'prod', repo, clone);
    writeWebRelease({ replicas: 6 });
    const rendered = await regatta(
      ['gitops', 'render', '--fleet', fleetFile, '--env', 'prod', '--repo', repo, '--branch', 'prod'].concat([
        '--out',
        clone,
        releaseFile,
      ]),
      env,
    );
    assert.equal(rendered.exitCode, 0, rendered.stderr);
    await git(clone, 'add', '--all');
    await git(clone, 'commit', '--quiet', '-m', 'web: 6 replicas everywhere');
    await git(clone, 'push', '--quiet', 'origin', 'prod');
    const pushed = await git(clone, 'rev-parse', 'HEAD');
    // No reconcile is requested: each cluster's GitRepository fetches the branch every minute.
    for (const cluster of state.clusters)
      await waitFor(
        `${cluster}'s Flux to apply ${pushed.slice(0, 8)}`,
        () =>
          readObject<KubeObject & { status?: { lastAppliedRevision?: string } }>(kube(cluster), {
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            kind: 'Kustomization',
            name: 'regatta-fleet',
            namespace: 'flux-system',
          }),
        (k) => k?.status?.lastAppliedRevision?.endsWith(pushed) ?? false,
      );
    const [first, scaled, third] = state.clusters as [string, string, string];
    for (const cluster of [first, third])
      await waitFor(
        `${cluster} at 6 replicas`,
        () => deployment(cluster),
        (d) => d?.spec.replicas === 6,
      );
    assert.equal((await deployment(scaled))?.spec.replicas, 4, 'its own replica count still wins there');
    for (const [index, cluster] of state.clusters.entries()) {
      // The rendered files read the Secret bootstrap made from OpenBao, and the globals reach the subchart.
      const secret = await valuesFromSecret(cluster);
      assert.equal(secret, 'regatta-web-secrets');
      assert.ok(
        (await secretValues(cluster, secret)).includes(CANARY),
        `${cluster}: the secret from OpenBao`,
      );
      const where = await readObject<KubeObject & { data: Record<string, string> }>(kube(cluster), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'web-where',
        namespace,
      });
      assert.equal(where?.data.region, `region-${index}`);
      assert.equal(where?.data.clusterName, cluster);
    }
    writeWebRelease({ replicas: 2 });
  });

  it('a release that fails in one cluster: the commit is reverted and every cluster is back on last good', async () => {
    const [broken, healthy] = state.clusters as [string, string];
    const image = async (cluster: string) => {
      const d = await readObject<
        KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }
      >(
        { kubeconfig: sandboxPaths(dir).kubeconfig, context: cluster },
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace },
      );
      return d?.spec.template.spec.containers[0]?.image;
    };
    const secretBefore = await valuesFromSecret(broken);
    // The failing deploy also changes the secret: its revert must bring back the old value too.
    await writeVault(CANARY2);
    writeWebRelease({ replicas: 2, global: { imageSuffix: '-broken' } });
    const deploy = await gitopsCli('deploy', '--timeout', '30');
    assert.equal(deploy.exitCode, 1, `${deploy.stdout}\n${deploy.stderr}`);
    assert.match(
      deploy.stderr,
      /failed in wave all: .*; reverted in git as [0-9a-f]{8} and every cluster is back on last good/,
    );
    assert.match(deploy.stdout, new RegExp(`web\\.${namespace}\\s+${broken}\\s+(failed|timeout)`));
    // Ready, or no longer watched once the other failed (the deploy had failed: the revert is due).
    assert.match(deploy.stdout, new RegExp(`web\\.${namespace}\\s+${healthy}\\s+(ready|stopped)`));
    assert.equal(await image(broken), 'registry.example/web:1');
    assert.equal(await image(healthy), 'registry.example/web:1');

    const clone = join(work, 'after-revert');
    await git(work, 'clone', '--quiet', '--branch', 'prod', repo, clone);
    const subjects = (await git(clone, 'log', '--format=%s')).split('\n');
    assert.match(subjects[0] as string, /^regatta revert \S+: wave all failed$/);
    assert.match(subjects[1] as string, /^regatta deploy \S+: prod, 1 releases × 3 clusters$/);
    for (const cluster of state.clusters) {
      assert.equal(
        await valuesFromSecret(cluster),
        secretBefore,
        `${cluster} reads the previous Secret again`,
      );
      assert.match(await secretValues(cluster, secretBefore as string), new RegExp(CANARY));
    }
    assert.doesNotMatch(await git(clone, 'log', '--all', '-p'), new RegExp(CANARY2));
    await writeVault(CANARY);
    writeWebRelease({ replicas: 2 });
  });

  it('rollback --to a deploy id commits that state and every cluster converges to it', async () => {
    const [first, second] = state.clusters as [string, string];
    writeWebRelease({ replicas: 3 });
    const deploy = await gitopsCli('deploy');
    assert.equal(deploy.exitCode, 0, `${deploy.stdout}\n${deploy.stderr}`);
    assert.equal((await deployment(first))?.spec.replicas, 3);

    const rollback = await regatta(
      [
        'gitops',
        'rollback',
        '--fleet',
        fleetFile,
        '--env',
        'prod',
        '--repo',
        repo,
        '--branch',
        'prod',
        '--to',
        firstDeployId,
      ],
      env,
    );
    assert.equal(rollback.exitCode, 0, `${rollback.stdout}\n${rollback.stderr}`);
    for (const cluster of state.clusters)
      assert.match(rollback.stdout, new RegExp(`web\\.${namespace}\\s+${cluster}\\s+ready`), rollback.stdout);
    assert.equal((await deployment(first))?.spec.replicas, 2);
    assert.equal((await deployment(second))?.spec.replicas, 4);
    const clone = join(work, 'after-rollback');
    await git(work, 'clone', '--quiet', '--branch', 'prod', repo, clone);
    assert.match(
      await git(clone, 'log', '-1', '--format=%s'),
      new RegExp(`^regatta rollback \\S+: prod back to ${firstDeployId}$`),
    );
    const head = (await git(clone, 'rev-parse', 'HEAD')).slice(0, 8);
    const status = await regatta(
      ['gitops', 'status', '--fleet', fleetFile, '--env', 'prod', releaseFile],
      env,
    );
    assert.equal(status.exitCode, 0, `${status.stdout}\n${status.stderr}`);
    for (const cluster of state.clusters)
      assert.match(
        status.stdout,
        new RegExp(`web\\.${namespace}\\s+${cluster}\\s+${head}\\s+1\\.0\\.0\\s+ready`),
      );
  });

  it('a deploy to selected clusters (a wave) changes only their folders', async () => {
    const [first, second] = state.clusters as [string, string];
    const valuesIn = async (cluster: string) =>
      (
        await readObject<KubeObject & { spec: { values: { replicas: number } } }>(
          { kubeconfig: sandboxPaths(dir).kubeconfig, context: cluster },
          { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', name: 'web', namespace },
        )
      )?.spec.values.replicas;
    writeWebRelease({ replicas: 5 });
    const wave = await gitopsCli('deploy', '--cluster', first);
    assert.equal(wave.exitCode, 0, `${wave.stdout}\n${wave.stderr}`);
    assert.doesNotMatch(wave.stdout, new RegExp(second));
    assert.equal((await deployment(first))?.spec.replicas, 5);
    assert.equal(await valuesIn(second), 2, 'the other cluster still runs the previous values');
    const clone = join(work, 'after-wave');
    await git(work, 'clone', '--quiet', '--branch', 'prod', repo, clone);
    assert.deepEqual((await git(clone, 'show', '--name-only', '--format=', 'HEAD')).split('\n'), [
      `clusters/${first}/releases/web.${namespace}.yaml`,
    ]);
  });

  it('regatta deploy drives a Flux environment through git wave by wave; a failing canary stops the rest', async () => {
    const [first, second] = state.clusters as [string, string];
    const rest = state.clusters.slice(1).join(', ');
    const cli = wavesCli('regatta-waves.yaml');

    writeWebRelease({ replicas: 3 });
    // plan and diff: the tree a deploy would commit against the branch, nothing committed.
    const plan = await cli('plan', releaseFile);
    assert.equal(plan.exitCode, 0, `${plan.stdout}\n${plan.stderr}`);
    for (const [wave, cluster] of [
      ['canary', first],
      ['rest', second],
    ])
      assert.match(
        plan.stdout,
        new RegExp(
          `${wave}\\s+${cluster}\\s+change\\s+clusters/${cluster}/releases/web\\.${namespace}\\.yaml`,
        ),
      );
    const diff = await cli('diff', releaseFile);
    assert.equal(diff.exitCode, 0, `${diff.stdout}\n${diff.stderr}`);
    assert.match(diff.stdout, /^\+\s+replicas: 3$/m);
    for (const output of [plan.stdout, plan.stderr, diff.stdout, diff.stderr])
      assert.doesNotMatch(output, new RegExp(`${CANARY}|${CANARY2}`));
    const good = await cli('deploy', releaseFile);
    assert.equal(good.exitCode, 0, `${good.stdout}\n${good.stderr}`);
    const goodId = /^deploy (\S+)$/m.exec(good.stdout)?.[1] as string;
    assert.match(good.stdout, new RegExp(`canary\\s+${first}\\s+[0-9a-f]{8}\\s+done`));
    assert.match(good.stdout, new RegExp(`rest\\s+${rest}\\s+[0-9a-f]{8}\\s+done`));
    assert.deepEqual(
      (await subjects(2)).map((s) => s.replace(goodId, 'ID')),
      [
        `regatta deploy ID: prod, wave rest (2/2), 1 releases × ${state.clusters.length - 1} clusters`,
        'regatta deploy ID: prod, wave canary (1/2), 1 releases × 1 clusters',
      ],
    );
    assert.equal((await deployment(first))?.spec.replicas, 3);
    assert.equal((await deployment(second))?.spec.replicas, 4, 'its own replica count');

    // Broken in the canary only: the rest is never committed, the canary's commit is reverted.
    const restBefore = await readObject<KubeObject>(kube(second), {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      name: 'web',
      namespace,
    });
    writeWebRelease({ replicas: 3, global: { imageSuffix: '-broken' } });
    const bad = await cli('deploy', '--timeout', '30', releaseFile);
    assert.equal(bad.exitCode, 1, `${bad.stdout}\n${bad.stderr}`);
    const badId = /^deploy (\S+)$/m.exec(bad.stdout)?.[1] as string;
    assert.match(
      bad.stderr,
      /failed in wave canary: .*reverted in git as [0-9a-f]{8} and every cluster is back/,
    );
    assert.match(bad.stdout, new RegExp(`rest\\s+${rest}\\s+-\\s+not-started`));
    assert.deepEqual(
      (await subjects(2)).map((s) => s.replace(badId, 'ID')),
      [
        'regatta revert ID: wave canary failed',
        'regatta deploy ID: prod, wave canary (1/2), 1 releases × 1 clusters',
      ],
    );
    const restAfter = await readObject<KubeObject>(kube(second), {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      name: 'web',
      namespace,
    });
    assert.equal(
      restAfter?.metadata.generation,
      restBefore?.metadata.generation,
      'the rest was never touched',
    );
    const image = async (cluster: string) =>
      (
        await readObject<KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }>(
          kube(cluster),
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace },
        )
      )?.spec.template.spec.containers[0]?.image;
    assert.equal(await image(first), 'registry.example/web:1', 'the canary is back on last good');

    // Git is the audit log: history reads it; status reads Flux; rollback --to is a commit.
    const history = await cli('history', 'web');
    assert.equal(history.exitCode, 0, history.stderr);
    assert.match(history.stdout, new RegExp(`${badId}\\s+deploy \\(REVERTED\\)\\s+canary`));
    assert.match(history.stdout, new RegExp(`${goodId}\\s+deploy\\s+rest`));
    const status = await cli('status');
    assert.equal(status.exitCode, 0, `${status.stdout}\n${status.stderr}`);
    for (const cluster of state.clusters)
      assert.match(
        status.stdout,
        new RegExp(`web\\.${namespace}\\s+${cluster}\\s+[0-9a-f]{8}\\s+1\\.0\\.0\\s+ready`),
      );
    writeWebRelease({ replicas: 2 });
    const rollback = await cli('rollback', `web.${namespace}`, '--to', firstDeployId);
    assert.equal(rollback.exitCode, 0, `${rollback.stdout}\n${rollback.stderr}`);
    assert.equal((await deployment(first))?.spec.replicas, 2);
    assert.match(
      (await subjects(1))[0] as string,
      new RegExp(`^regatta rollback \\S+: prod web\\.${namespace} back to ${firstDeployId}$`),
    );
  });
  it('a manual approval pauses a Flux deploy in git; resume goes on, abort reverts, rollback --previous returns', async () => {
    const [first, , third] = state.clusters as [string, string, string];
    const cli = wavesCli('regatta-approval.yaml', { approval: 'before-wave rest' });
    const before = (await deployment(third))?.spec.replicas;

    writeWebRelease({ replicas: 6 });
    const paused = await cli('deploy', releaseFile);
    assert.equal(paused.exitCode, 0, `${paused.stdout}\n${paused.stderr}`);
    const id = /^deploy (\S+)$/m.exec(paused.stdout)?.[1] as string;
    assert.match(paused.stdout, new RegExp(`paused before wave rest .*regatta deploy --resume ${id}`));
    assert.equal((await deployment(first))?.spec.replicas, 6, 'the canary runs the new release');
    assert.equal((await deployment(third))?.spec.replicas, before, 'the rest waits for the approval');
    assert.deepEqual(
      (await subjects(2)).map((s) => s.replace(id, 'ID')),
      [
        'regatta pause ID: prod, waiting for approval before wave rest',
        'regatta deploy ID: prod, wave canary (1/2), 1 releases × 1 clusters',
      ],
    );

    // The paused deploy holds the branch, as the helm engine's keeps its lock.
    const other = await cli('deploy', releaseFile);
    assert.equal(other.exitCode, 2, `${other.stdout}\n${other.stderr}`);
    assert.match(other.stderr, new RegExp(`deploy ${id} is paused before wave rest`));
    const history = await cli('history', 'web');
    assert.equal(history.exitCode, 0, history.stderr);
    assert.match(history.stdout, new RegExp(`${id}\\s+paused for approval before\\s+rest`));
    const status = await cli('status');
    assert.equal(status.exitCode, 0, `${status.stdout}\n${status.stderr}`);
    assert.match(status.stdout, new RegExp(`deploy ${id} is paused before wave rest`));

    const resumed = await cli('deploy', '--resume', id, releaseFile);
    assert.equal(resumed.exitCode, 0, `${resumed.stdout}\n${resumed.stderr}`);
    assert.equal((await deployment(third))?.spec.replicas, 6, 'the rest, once approved');
    assert.match(
      (await subjects(1))[0] as string,
      new RegExp(`^regatta deploy ${id}: prod, wave rest \\(2/2\\)`),
    );

    // The versioned Secrets: exactly those the last 5 revisions of each cluster's file read; the
    // failing deploy's (an older revision only) is gone.
    const clone = mkdtempSync(join(work, 'secrets-'));
    await git(work, 'clone', '--quiet', '--branch', 'prod', repo, clone);
    for (const cluster of state.clusters) {
      const path = `clusters/${cluster}/releases/web.${namespace}.yaml`;
      const revisions = (await git(clone, 'log', '--format=%H', '--', path)).split('\n');
      const secretAt = async (commit: string) =>
        (
          parse(await git(clone, 'show', `${commit}:${path}`).catch(() => 'null')) as {
            spec?: { valuesFrom?: { name: string }[] };
          } | null
        )?.spec?.valuesFrom?.[0]?.name;
      const kept = new Set(await Promise.all(revisions.slice(0, 5).map(secretAt)));
      const ever = new Set(await Promise.all(revisions.map(secretAt)));
      const live = (
        await listObjects(
          kube(cluster),
          { apiVersion: 'v1', kind: 'Secret' },
          { 'regatta.io/release': `web.${namespace}` },
        )
      ).map((secret) => secret.metadata.name);
      for (const name of kept) assert.ok(name && live.includes(name), `${cluster}: ${name} is still needed`);
      for (const name of live)
        assert.ok(
          kept.has(name) || name === 'regatta-web-secrets',
          `${cluster}: ${name} is read by none of the last 5 revisions, yet still there`,
        );
      assert.ok(
        [...ever].some((name) => name && !live.includes(name)),
        `${cluster}: an older revision's Secret was removed (${[...ever].join(', ')})`,
      );
    }

    // A second paused deploy, aborted: its canary commit is reverted and the canary is back.
    writeWebRelease({ replicas: 7 });
    const second = await cli('deploy', releaseFile);
    assert.equal(second.exitCode, 0, `${second.stdout}\n${second.stderr}`);
    const secondId = /^deploy (\S+)$/m.exec(second.stdout)?.[1] as string;
    assert.equal((await deployment(first))?.spec.replicas, 7);
    const abort = await cli('abort', secondId);
    assert.equal(abort.exitCode, 0, `${abort.stdout}\n${abort.stderr}`);
    assert.match(abort.stdout, /every cluster is back on last good/);
    assert.equal((await deployment(first))?.spec.replicas, 6, 'the canary is back on last good');
    assert.equal(
      (await subjects(1))[0],
      `regatta revert ${secondId}: aborted at the approval before wave rest`,
    );
    const again = await cli('abort', secondId);
    assert.equal(again.exitCode, 2, 'nothing is paused any more');

    // rollback --previous: what ran before the live deploy (the aborted one never counted) — the
    // state the waves test's rollback --to had returned to.
    const previous = await cli('rollback', `web.${namespace}`, '--previous');
    assert.equal(previous.exitCode, 0, `${previous.stdout}\n${previous.stderr}`);
    assert.match(
      (await subjects(1))[0] as string,
      new RegExp(`^regatta rollback \\S+: prod web\\.${namespace} back to ${firstDeployId}$`),
    );
    assert.equal((await deployment(first))?.spec.replicas, 2);
    assert.equal((await deployment(third))?.spec.replicas, 2);
    writeWebRelease({ replicas: 2 });
  });
});
