import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/adapters/process.js';
import { listHelmRevisions } from '../../src/adapters/helm-storage.js';
import { createLease, deleteLease } from '../../src/adapters/kube-lease.js';
import { heartbeatName, HEARTBEAT_IN, holderAnnotations, leaseName } from '../../src/plan/lease.js';
import { FleetLock, LockHeldError, type LockKey } from '../../src/deploy/lock.js';
import type { Cluster } from '../../src/model/fleet.js';
import type { Progress } from '../../src/report/progress.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { packageRoot } from '../../src/paths.js';
import { deployJson, regatta, testSandbox } from './support/sandbox.js';
import { writeRelease, writeTestFleet } from './support/fleet.js';

const { dir: sandboxDir, state, env } = testSandbox();
const kubeconfig = sandboxPaths(sandboxDir).kubeconfig;
const webChart = join(packageRoot, 'test', 'fixtures', 'charts', 'web');

interface DeployJson {
  deployId: string;
  rolledBack: boolean;
  outcomes: {
    cluster: string;
    status: string;
    action: string;
    revision?: number;
    error?: string;
    seconds: number;
    timings?: Record<string, number>;
  }[];
}

async function revisions(context: string, namespace: string, release: string) {
  return listHelmRevisions({ kubeconfig, context }, { namespace, release });
}

/** One field of a Deployment, by kubectl jsonpath. */
async function deploymentField(
  context: string,
  namespace: string,
  name: string,
  jsonpath: string,
): Promise<string> {
  const args = [
    '--context',
    context,
    '-n',
    namespace,
    'get',
    'deployment',
    name,
    '-o',
    `jsonpath=${jsonpath}`,
  ];
  return (await run('kubectl', args, { env })).stdout;
}

const liveImage = (context: string, namespace: string) =>
  deploymentField(context, namespace, 'web', '{.spec.template.spec.containers[0].image}');

/** Receives Slack webhook calls. */
function slackReceiver() {
  const messages: { channel?: string; text: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      messages.push(JSON.parse(body));
      res.end('ok');
    });
  });
  return {
    messages,
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`),
        ),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const helm of ['helm', 'helm3'] as const) {
  describe(`deploy and rollback across every cluster (${helm === 'helm' ? 'Helm 4' : 'Helm 3.17'})`, () => {
    const namespace = `web-${helm}`;
    const fleet = writeTestFleet(state);
    const broken = writeTestFleet(state, {
      dir: fleet.dir,
      name: 'regatta-broken.yaml',
      globals: { 'dev-europe-west1-0': { imageSuffix: '-broken' } },
    });
    const slack = slackReceiver();
    const runEnv = { ...env, REGATTA_HELM: join(sandboxDir, 'bin', helm) } as NodeJS.ProcessEnv;
    const contexts = state.clusters;
    const ids: string[] = [];

    function release(image: string) {
      return writeRelease(fleet.dir, 'web.yaml', {
        apiVersion: 'v1',
        kind: 'DailymotionRelease',
        metadata: { name: `web.${namespace}`, environment: 'dev', branch: 'dev' },
        spec: { slack_channel: '#web', chart_name: 'web', chart_path: webChart, values: { image } },
      });
    }

    /** Release NAME of the web chart in namespace `<suite namespace>-NAME`. */
    const webRelease = (name: string) =>
      writeRelease(fleet.dir, `${name}.yaml`, {
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: `${name}.${namespace}-${name}`, environment: 'dev' },
        spec: { chart_name: 'web', chart_path: webChart },
      });

    const rollbackWeb = (...extra: string[]) =>
      regatta(['rollback', `web.${namespace}`, '--fleet', fleet.file, '--env', 'dev', ...extra], runEnv);

    async function deploy(image: string, extra: string[] = [], fleetFile = fleet.file) {
      const result = await regatta(
        ['deploy', '--fleet', fleetFile, release(image), '--output', 'json', '--timeout', '20', ...extra],
        runEnv,
      );
      return { result, report: deployJson<DeployJson>(result.stdout) };
    }

    before(async () => {
      runEnv.REGATTA_TEST_SLACK_URL = await slack.start();
    });
    after(() => slack.stop());

    it('deploys to every cluster in parallel, creating the namespace, labelling revisions with the deploy id', async () => {
      const { result, report } = await deploy('registry.example/web:1');
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(
        report.outcomes.map((o) => [o.cluster, o.action, o.status]),
        fleet.devClusters.map((c) => [c, 'install', 'deployed']),
      );
      ids.push(report.deployId);
      for (const [index, context] of contexts.entries()) {
        const [revision] = await revisions(context, namespace, 'web');
        assert.equal(revision?.revision, 1);
        assert.equal(revision?.status, 'deployed');
        assert.equal(revision?.labels['regatta.io/deploy-id'], report.deployId);
        // The verdict is patched onto Helm's record beside the labels Helm reads it by.
        assert.equal(revision?.labels['regatta.io/verdict'], 'good');
        assert.deepEqual(
          [revision?.labels.owner, revision?.labels.name, revision?.labels.status, revision?.labels.version],
          ['helm', 'web', 'deployed', '1'],
        );
        const envs = await deploymentField(
          context,
          namespace,
          'web',
          '{.spec.template.spec.containers[0].env[*].value}',
        );
        assert.equal(
          envs,
          `${fleet.devClusters[index]} ${['us-central1', 'europe-west1', 'asia-east1'][index]}`,
        );
        const ready = await deploymentField(context, namespace, 'web', '{.status.availableReplicas}');
        assert.equal(ready, '2', 'rollout finished before deploy returned');
      }
      assert.equal(slack.messages.length, 1);
      assert.equal(slack.messages[0]?.channel, '#web');
      assert.match(slack.messages[0]?.text ?? '', new RegExp(report.deployId));
    });

    it('skips releases identical to the live revision: no new revision', async () => {
      const { result, report } = await deploy('registry.example/web:1');
      assert.equal(result.exitCode, 0, result.stderr);
      assert.ok(report.outcomes.every((o) => o.status === 'unchanged'));
      for (const context of contexts) assert.equal((await revisions(context, namespace, 'web')).length, 1);
    });

    it("upgrades every cluster, saying in --output json where each target's time went", async () => {
      const { result, report } = await deploy('registry.example/web:2');
      assert.equal(result.exitCode, 0, result.stderr);
      ids.push(report.deployId);
      for (const context of contexts)
        assert.equal(await liveImage(context, namespace), 'registry.example/web:2');
      for (const outcome of report.outcomes) {
        const t = outcome.timings ?? {};
        for (const phase of ['observe', 'upgrade', 'wait', 'verdict'])
          assert.ok(
            typeof t[phase] === 'number' && t[phase] >= 0,
            `${outcome.cluster}: ${phase} in ${JSON.stringify(t)}`,
          );
        // A rolling update of 2 Pods is waited for: helm logged its wait.
        assert.ok(t.wait! > 0, `${outcome.cluster}: ${JSON.stringify(t)}`);
        // Helm's run is the upgrade and its wait: together within the target's own time.
        assert.ok(
          t.upgrade! + t.wait! <= outcome.seconds + 0.05,
          `${outcome.cluster}: ${JSON.stringify(t)} vs ${outcome.seconds}`,
        );
        if (helm === 'helm') assert.ok(typeof t.postRender === 'number', JSON.stringify(t));
      }
      // The first cluster of the release is rendered at plan time (a chart error stops everything).
      assert.ok(typeof report.outcomes[0]?.timings?.render === 'number', JSON.stringify(report.outcomes[0]));
    });

    it('when one cluster fails its rollout, rolls every cluster back together and exits 1', async () => {
      const { result, report } = await deploy('registry.example/web:3', [], broken.file);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.match(result.stderr, /failed; every cluster it changed is back on its last good revision/);
      assert.equal(report.rolledBack, true);
      const failing = report.outcomes.find((o) => o.cluster === 'dev-europe-west1-0');
      assert.ok(failing?.error, 'the failing cluster says why');
      assert.deepEqual(
        report.outcomes.map((o) => o.status),
        ['rolled-back', 'rolled-back', 'rolled-back'],
      );
      for (const context of contexts) {
        assert.equal(await liveImage(context, namespace), 'registry.example/web:2');
        // Helm carries labels over from the revision before: the failed deploy's must say failed.
        for (const r of await revisions(context, namespace, 'web'))
          if (r.labels['regatta.io/deploy-id'] === report.deployId && !r.description.startsWith('Rollback'))
            assert.equal(r.labels['regatta.io/verdict'], 'failed', `revision ${r.revision} in ${context}`);
        const last = (await revisions(context, namespace, 'web')).at(-1);
        assert.equal(last?.status, 'deployed');
        assert.match(last?.description ?? '', /^Rollback to 2/);
      }
      // install, upgrade, failed deploy: a deploy that changed nothing is not announced.
      assert.equal(slack.messages.length, 3, 'a failed deploy is announced too');
      assert.match(slack.messages[2]?.text ?? '', /rolled-back/);
    });

    it('rollback --previous puts every cluster back to the deploy before the live one', async () => {
      const result = await rollbackWeb('--previous', '--output', 'json');
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).deployId, ids[0]);
      for (const context of contexts)
        assert.equal(await liveImage(context, namespace), 'registry.example/web:1');
    });

    it('rollback --to ID, then status and history show where each deploy went', async () => {
      const result = await rollbackWeb('--to', ids[1] as string, '--slack-channel', '#web');
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(slack.messages.at(-1)?.channel, '#web');
      assert.match(
        slack.messages.at(-1)?.text ?? '',
        new RegExp(`regatta rollback of web\\.${namespace} \\(dev\\) to ${ids[1]}`),
      );
      for (const context of contexts)
        assert.equal(await liveImage(context, namespace), 'registry.example/web:2');
      const status = JSON.parse(
        (await regatta(['status', 'web', '--fleet', fleet.file, '--env', 'dev', '--output', 'json'], runEnv))
          .stdout,
      );
      const row = status.releases.find((r: { namespace: string }) => r.namespace === namespace);
      for (const cluster of fleet.devClusters) {
        assert.equal(row.cells[cluster].deployId, ids[1]);
        assert.equal(row.cells[cluster].status, 'deployed');
      }
      const history = JSON.parse(
        (await regatta(['history', 'web', '--fleet', fleet.file, '--env', 'dev', '--output', 'json'], runEnv))
          .stdout,
      );
      const deployIds = history.entries.map((e: { deployId: string }) => e.deployId);
      assert.ok(deployIds.indexOf(ids[0]) < deployIds.indexOf(ids[1]), 'oldest first');
      assert.deepEqual(Object.keys(history.entries[0].clusters).sort(), [...fleet.devClusters].sort());
    });

    // Helm 4 applies server-side, where an unknown field fails the apply; Helm 3 creates objects
    // client-side and the API server drops unknown fields with a warning.
    if (helm === 'helm') {
      it('an object field the API server does not know fails the deploy, and nothing stays', async () => {
        const file = writeRelease(fleet.dir, 'unknown-field.yaml', {
          apiVersion: 'regatta/v1',
          kind: 'Release',
          metadata: { name: `typo.${namespace}-typo`, environment: 'dev' },
          spec: {
            chart_name: 'unknown-field',
            chart_path: join(packageRoot, 'test', 'fixtures', 'charts', 'unknown-field'),
          },
        });
        const result = await regatta(['deploy', '--fleet', fleet.file, file, '--timeout', '20'], runEnv);
        assert.equal(result.exitCode, 1, result.stderr);
        assert.match(result.stdout + result.stderr, /replicaCount/);
        for (const context of contexts)
          assert.deepEqual(await revisions(context, `${namespace}-typo`, 'typo'), []);
      });
    }

    it('installs again over a release uninstalled with its history kept', async () => {
      const file = webRelease('kept');
      assert.equal((await regatta(['deploy', '--fleet', fleet.file, file], runEnv)).exitCode, 0);
      const [first] = contexts;
      await run(
        join(sandboxDir, 'bin', helm),
        ['uninstall', 'kept', '-n', `${namespace}-kept`, '--keep-history', '--kube-context', first!],
        { env },
      );
      assert.equal((await revisions(first!, `${namespace}-kept`, 'kept')).at(-1)?.status, 'uninstalled');
      const result = await regatta(['deploy', '--fleet', fleet.file, file, '--output', 'json'], runEnv);
      assert.equal(result.exitCode, 0, result.stderr);
      const report = deployJson<DeployJson>(result.stdout);
      assert.deepEqual(
        report.outcomes.map((o) => [o.cluster, o.action, o.status]),
        fleet.devClusters.map((c) => [
          c,
          c === first ? 'install' : 'unchanged',
          c === first ? 'deployed' : 'unchanged',
        ]),
      );
      const latest = (await revisions(first!, `${namespace}-kept`, 'kept')).at(-1);
      assert.deepEqual([latest?.revision, latest?.status], [2, 'deployed']);
    });

    it('a failed first install is uninstalled everywhere', async () => {
      const file = webRelease('fresh');
      const result = await regatta(['deploy', '--fleet', broken.file, file, '--timeout', '20'], runEnv);
      assert.equal(result.exitCode, 1, result.stderr);
      for (const context of contexts)
        assert.deepEqual(await revisions(context, `${namespace}-fresh`, 'fresh'), []);
    });
  });
}

describe('deploy safety', () => {
  const fleet = writeTestFleet(state);

  it('an unreachable cluster found before anything changed stops the deploy with nothing touched', async () => {
    const file = writeRelease(fleet.dir, 'safe.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'safe.safe', environment: 'dev' },
      spec: { chart_name: 'web', chart_path: webChart },
    });
    const down = state.clusters[2] as string;
    await regatta(['sandbox', 'stop-cluster', down, '--dir', sandboxDir]);
    try {
      const result = await regatta(['deploy', '--fleet', fleet.file, file], env);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.match(result.stderr, /^error: unreachable: dev-asia-east1-0 .*nothing was changed/m);
      for (const context of state.clusters.slice(0, 2))
        assert.deepEqual(await revisions(context as string, 'safe', 'safe'), []);
    } finally {
      await regatta(['sandbox', 'start-cluster', down, '--dir', sandboxDir]);
    }
  });

  it('a scaling entry naming no rendered Deployment: exit 2, one line, nothing deployed', async () => {
    const file = writeRelease(fleet.dir, 'bad.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'bad.bad', environment: 'dev' },
      spec: {
        chart_name: 'web',
        chart_path: webChart,
        scaling: [{ context: 'dev-us-central1-0', replicas: [{ name: 'hermes', count: 2 }] }],
      },
    });
    const result = await regatta(['deploy', '--fleet', fleet.file, file], env);
    assert.equal(result.exitCode, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /release bad in cluster dev-us-central1-0: no Deployment or StatefulSet named hermes/,
    );
    for (const context of state.clusters) assert.deepEqual(await revisions(context, 'bad', 'bad'), []);
  });

  it("the seed's Helm 2 .Capabilities.TillerVersion: a clear message, exit 2", async () => {
    const file = writeRelease(fleet.dir, 'tiller.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'tiller.tiller', environment: 'dev' },
      spec: { chart_name: 'tiller', chart_path: join(packageRoot, 'test', 'fixtures', 'charts', 'tiller') },
    });
    const result = await regatta(['plan', '--fleet', fleet.file, file], env);
    assert.equal(result.exitCode, 2);
    assert.match(
      result.stderr,
      /^error: .*tiller\.yaml:1:1: release tiller\.tiller for dev-us-central1-0: helm template failed: tiller\/templates\/secret\.yaml:\d+:\d+ .*TillerVersion.* \(\.Capabilities\.TillerVersion existed only in Helm 2: remove it/,
    );
  });

  it("a chart version the environment's repository lacks: exit 2, one line, nothing deployed", async () => {
    const file = writeRelease(fleet.dir, 'missing.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'missing.missing', environment: 'dev' },
      spec: { chart_name: 'no-such-chart', chart_version: '1.0.0' },
    });
    const result = await regatta(['deploy', '--fleet', fleet.file, file], env);
    assert.equal(result.exitCode, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(
      result.stderr,
      /missing\.yaml:1:1: release missing\.missing: chart no-such-chart 1\.0\.0 is not in http:\/\/127\.0\.0\.1:\d+\/index\.yaml/,
    );
    for (const context of state.clusters)
      assert.deepEqual(await revisions(context, 'missing', 'missing'), []);
  });

  it('a rollback that itself fails exits 3 and names the clusters that need attention', async () => {
    const broken = writeTestFleet(state, {
      dir: fleet.dir,
      name: 'regatta-broken-eu.yaml',
      globals: { 'dev-europe-west1-0': { imageSuffix: '-broken' } },
    });
    const file = (image: string) =>
      writeRelease(fleet.dir, 'big.yaml', {
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: 'web.big', environment: 'dev' },
        // 60 Pods on a loaded machine may make no progress for the chart's default 10 s (CI saw
        // the first install fail so in one cluster); the same deadline in both revisions.
        spec: {
          chart_name: 'web',
          chart_path: webChart,
          values: { image, replicas: 60, progressDeadlineSeconds: 60 },
        },
      });
    const first = await regatta(['deploy', '--fleet', fleet.file, file('registry.example/big:1')], env);
    assert.equal(first.exitCode, 0, first.stderr);
    // 60 Pods to bring back within 1 second: the rollback's wait cannot succeed.
    const result = await regatta(
      [
        'deploy',
        '--fleet',
        broken.file,
        file('registry.example/big:2'),
        '--timeout',
        '20',
        '--rollback-timeout',
        '1',
      ],
      env,
    );
    assert.equal(result.exitCode, 3, result.stderr);
    assert.match(
      result.stderr,
      /dev-(us-central1|asia-east1)-0.* could not be brought back to last good: .*need attention \(once .*, run `regatta recover web\.big --env dev`/,
    );
    assert.match(result.stdout, /rollback-failed/);
  });

  it('a redeploy that changes nothing takes no lock, yet stops at a lock someone holds (exit 4)', async () => {
    const name = 'noop';
    const file = writeRelease(fleet.dir, 'noop.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: `${name}.${name}`, environment: 'dev' },
      spec: { chart_name: 'web', chart_path: webChart, values: { image: 'registry.example/web:1' } },
    });
    const contexts = state.clusters.slice(0, 3) as string[];
    /** Where the API server's history of the namespace's leases is now (a list's resourceVersion). */
    const leasesNow = async (context: string) =>
      (
        JSON.parse(
          (
            await run(
              'kubectl',
              [
                '--context',
                context,
                'get',
                '--raw',
                `/apis/coordination.k8s.io/v1/namespaces/${name}/leases`,
              ],
              { env },
            )
          ).stdout,
        ) as { metadata: { resourceVersion: string } }
      ).metadata.resourceVersion;
    /** Every lease written in the namespace since `resourceVersion` (a watch from there, for 1 s). */
    const leasesWrittenSince = async (context: string, resourceVersion: string) =>
      (
        await run(
          'kubectl',
          [
            '--context',
            context,
            'get',
            '--raw',
            `/apis/coordination.k8s.io/v1/namespaces/${name}/leases?watch=1&resourceVersion=${resourceVersion}&timeoutSeconds=1`,
          ],
          { env },
        )
      ).stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const event = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
          return `${event.type} ${event.object.metadata.name}`;
        });
    const first = await regatta(['deploy', '--fleet', fleet.file, file], env);
    assert.equal(first.exitCode, 0, first.stderr);
    const marks = await Promise.all(contexts.map(leasesNow));
    const second = await regatta(['deploy', '--fleet', fleet.file, file, '--output', 'json'], env);
    assert.equal(second.exitCode, 0, second.stderr);
    assert.ok(deployJson<DeployJson>(second.stdout).outcomes.every((o) => o.status === 'unchanged'));
    for (const [index, context] of contexts.entries())
      assert.deepEqual(await leasesWrittenSince(context, marks[index]!), [], context);

    // The same watch does see a deploy that changes something take and let go of its lock.
    const changed = writeRelease(fleet.dir, 'noop.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: `${name}.${name}`, environment: 'dev' },
      spec: { chart_name: 'web', chart_path: webChart, values: { image: 'registry.example/web:2' } },
    });
    const before = await leasesNow(contexts[0]!);
    const deployed = await regatta(['deploy', '--fleet', fleet.file, changed, '--output', 'json'], env);
    assert.equal(deployed.exitCode, 0, deployed.stderr);
    const heartbeat = heartbeatName(deployJson<DeployJson>(deployed.stdout).deployId);
    const written = await leasesWrittenSince(contexts[0]!, before);
    // The run's heartbeat first, its lock then; let go of in the other order.
    assert.deepEqual(
      written.filter((event) => !event.startsWith('MODIFIED')), // the heartbeat renewed, if it took 20 s
      [
        `ADDED ${heartbeat}`,
        `ADDED ${leaseName(name)}`,
        `DELETED ${leaseName(name)}`,
        `DELETED ${heartbeat}`,
      ],
    );
    assert.ok(!written.includes(`MODIFIED ${leaseName(name)}`), 'a lock is not renewed: its heartbeat is');

    // web:2 runs everywhere, but another deploy holds the lock in one cluster: the no-op says who.
    const target = { kubeconfig, context: contexts[2]! };
    const held = await createLease(target, {
      name: leaseName(name),
      namespace: name,
      holder: '20261125T000000Z-0000',
      durationSeconds: 60,
      annotations: holderAnnotations({
        id: '20261125T000000Z-0000',
        command: 'deploy',
        user: 'someone',
        host: 'elsewhere',
        pid: 1,
        since: new Date().toISOString(),
      }),
    });
    assert.ok(typeof held === 'object', `the test's lease was created: ${String(held)}`);
    try {
      const locked = await regatta(['deploy', '--fleet', fleet.file, changed], env);
      assert.equal(locked.exitCode, 4, locked.stderr);
      assert.match(locked.stderr, /is locked by deploy 20261125T000000Z-0000 by someone@elsewhere/);
    } finally {
      await deleteLease(target, held);
    }
  });

  describe('the fleet lock: one heartbeat per run and cluster keeps its locks alive', () => {
    const namespace = 'heartbeat';
    const contexts = state.clusters.slice(0, 2) as string[];
    const clusters = contexts.map((context) => ({ name: context, context, kubeconfig }) as Cluster);
    const keys: LockKey[] = clusters.flatMap((cluster) =>
      ['a', 'b', 'c'].map((release) => ({ cluster, release, namespace })),
    );
    const lines: string[] = [];
    const progress: Progress = { line: (text) => lines.push(text), event: () => {} };
    const lockOptions = (id: string) =>
      ({ id, command: 'deploy', waitMs: 0, progress, durationSeconds: 3 }) as const;
    /** name → resourceVersion of every lease in the namespace. */
    const leases = async (context: string) =>
      Object.fromEntries(
        (
          JSON.parse(
            (
              await run('kubectl', ['--context', context, '-n', namespace, 'get', 'leases', '-o', 'json'], {
                env,
              })
            ).stdout,
          ) as { items: { metadata: { name: string; resourceVersion: string } }[] }
        ).items.map((lease) => [lease.metadata.name, lease.metadata.resourceVersion]),
      );
    const locks = ['a', 'b', 'c'].map(leaseName);

    it('renews the heartbeats only, refuses a second run, and stops the run whose heartbeat was taken', async () => {
      const id = '20261204T100000Z-0001';
      const lock = await FleetLock.acquire(keys, lockOptions(id));
      try {
        const taken = await leases(contexts[0]!);
        assert.deepEqual(Object.keys(taken).sort(), [...locks, heartbeatName(id)].sort());
        await sleep(2500); // a renewal each second: two at least
        const later = await leases(contexts[0]!);
        for (const name of locks) assert.equal(later[name], taken[name], `${name} was not written again`);
        assert.notEqual(later[heartbeatName(id)], taken[heartbeatName(id)], 'the heartbeat was renewed');

        // Its locks were taken 2.5 s ago with 3 s to live and never renewed, yet a second run,
        // after they would have expired on their own, is refused: the heartbeat says they are held.
        await sleep(1000);
        await assert.rejects(
          FleetLock.acquire(keys, lockOptions('20261204T100000Z-0002')),
          (error: unknown) =>
            error instanceof LockHeldError && error.message.includes(`is locked by deploy ${id} by`),
        );
        assert.deepEqual(
          Object.keys(await leases(contexts[1]!)).sort(),
          [...locks, heartbeatName(id)].sort(),
        );

        // Someone deletes its heartbeat in one cluster (what a taker does): the run learns it lost the lock.
        await run(
          'kubectl',
          ['--context', contexts[1]!, '-n', namespace, 'delete', 'lease', heartbeatName(id)],
          {
            env,
          },
        );
        for (let waited = 0; !lock.lost.aborted && waited < 5000; waited += 100) await sleep(100);
        assert.ok(lock.lost.aborted, 'lost within 5 s');
        assert.match(String(lock.lost.reason), new RegExp(`lost the lock in ${contexts[1]}`));
      } finally {
        await lock.release();
      }
      for (const context of contexts) assert.deepEqual(await leases(context), {}, `${context}: nothing left`);
    });

    it('takes over the locks of a run elsewhere once its heartbeat stops, whatever the locks say', async () => {
      const dead = '20261204T100000Z-0003';
      const target = { kubeconfig, context: contexts[0]! };
      const annotations = holderAnnotations({
        id: dead,
        command: 'deploy',
        user: 'someone',
        host: 'elsewhere',
        pid: 1,
        since: new Date().toISOString(),
      });
      const beat = (durationSeconds: number) =>
        createLease(target, {
          name: heartbeatName(dead),
          namespace,
          holder: dead,
          durationSeconds,
          annotations,
          role: 'heartbeat',
        });
      const heldLock = await createLease(target, {
        name: leaseName('a'),
        namespace,
        holder: dead,
        durationSeconds: 3600, // on its own it would be held for an hour
        annotations: { ...annotations, [HEARTBEAT_IN]: namespace },
      });
      assert.ok(typeof heldLock === 'object', String(heldLock));
      const alive = await beat(60);
      assert.ok(typeof alive === 'object', String(alive));
      await assert.rejects(
        FleetLock.acquire(keys, lockOptions('20261204T100000Z-0004')),
        (error: unknown) =>
          error instanceof LockHeldError && error.message.includes(`locked by deploy ${dead}`),
      );
      // Its heartbeat now stops: made again with 1 s to live, and not renewed.
      await deleteLease(target, alive);
      await beat(1);
      await sleep(1500);
      const id = '20261204T100000Z-0005';
      lines.length = 0;
      const lock = await FleetLock.acquire(keys, lockOptions(id));
      try {
        assert.ok(
          lines.some((line) => line.includes(`taking over the lock of deploy ${dead} by someone@elsewhere`)),
          lines.join('\n'),
        );
        assert.deepEqual(
          Object.keys(await leases(contexts[0]!)).sort(),
          [...locks, heartbeatName(id)].sort(),
          "the dead run's heartbeat is gone",
        );
      } finally {
        await lock.release();
      }
      for (const context of contexts) assert.deepEqual(await leases(context), {}, `${context}: nothing left`);
    });
  });

  it('a lock refused in one cluster lets go of the leases it took in the others, and changes nothing', async () => {
    const name = 'lockfail';
    // Leases are taken in order of cluster name (the first alone, then the rest): the refusal
    // comes from the cluster named last, after the others' leases were taken. Its namespace is
    // being deleted, held open by a finalizer: the API server refuses any new object in it (403),
    // which is no transient error.
    const contextOf = new Map(fleet.devClusters.map((cluster, i) => [cluster, state.clusters[i] as string]));
    const contexts = [...fleet.devClusters].sort().map((cluster) => contextOf.get(cluster)!);
    const refusing = contexts[2]!;
    const kubectl = (context: string, ...args: string[]) =>
      run('kubectl', ['--context', context, ...args], { env });
    const finalizers = (value: string[] | null) =>
      kubectl(
        refusing,
        '-n',
        name,
        'patch',
        'configmap',
        'hold',
        '--type=merge',
        '-p',
        JSON.stringify({ metadata: { finalizers: value } }),
      );
    await kubectl(refusing, 'create', 'namespace', name);
    await kubectl(refusing, '-n', name, 'create', 'configmap', 'hold');
    await finalizers(['regatta.test/hold']);
    await kubectl(refusing, 'delete', 'namespace', name, '--wait=false');
    try {
      const file = writeRelease(fleet.dir, 'lockfail.yaml', {
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: `${name}.${name}`, environment: 'dev' },
        spec: { chart_name: 'web', chart_path: webChart, values: { image: 'registry.example/web:1' } },
      });
      const result = await regatta(['deploy', '--fleet', fleet.file, file], env);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.match(result.stderr, /cannot take the lock: .*being terminated/);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /, 'one line, no stack');
      for (const context of contexts.slice(0, 2)) {
        const leases = await kubectl(context, '-n', name, 'get', 'leases', '-o', 'name');
        assert.equal(leases.stdout.trim(), '', `${context}: no lease left behind`);
        assert.deepEqual(await revisions(context, name, name), [], `${context}: nothing deployed`);
      }
    } finally {
      await finalizers(null);
    }
  });

  it("scales a Deployment that lives in an umbrella chart's subchart, per cluster", async () => {
    const file = writeRelease(fleet.dir, 'shop.yaml', {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'shop.shop-test', environment: 'dev' },
      spec: {
        chart_name: 'shop',
        chart_path: join(packageRoot, 'examples', 'charts', 'shop'),
        scaling: [
          { context: 'dev-us-central1-0', replicas: [{ name: 'cart', count: 3 }] },
          {
            context: 'dev-europe-west1-0',
            replicas: [
              { name: 'cart', count: 2 },
              { name: 'shop-web', count: 2 },
            ],
          },
        ],
      },
    });
    const result = await regatta(['deploy', '--fleet', fleet.file, file], env);
    assert.equal(result.exitCode, 0, result.stderr);
    const replicas = async (context: string) =>
      (
        await run(
          'kubectl',
          [
            '--context',
            context,
            '-n',
            'shop-test',
            'get',
            'deployments',
            '-o',
            'jsonpath={range .items[*]}{.metadata.name}={.spec.replicas} {end}',
          ],
          { env },
        )
      ).stdout.trim();
    assert.equal(await replicas(state.clusters[0] as string), 'cart=3 shop-web=1');
    assert.equal(await replicas(state.clusters[1] as string), 'cart=2 shop-web=2');
    assert.equal(
      await replicas(state.clusters[2] as string),
      'cart=1 shop-web=1',
      "a cluster without an entry keeps the chart's count",
    );
  });
});
