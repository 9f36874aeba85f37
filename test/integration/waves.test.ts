import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { listHelmRevisions } from '../../src/adapters/helm-storage.js';
import { run } from '../../src/adapters/process.js';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { attempt, fixtureChart, regatta, testSandbox } from './support/sandbox.js';
import { writeRelease, writeTestFleet } from './support/fleet.js';
import { startRegatta } from '../faults/support.js';

const { dir: sandboxDir, state, env } = testSandbox();
const kubeconfig = sandboxPaths(sandboxDir).kubeconfig;
const [CANARY, REST1, REST2] = ['dev-europe-west1-0', 'dev-us-central1-0', 'dev-asia-east1-0'];
/** Names unique to this run: the suite can run again on the same sandbox. */
const RUN = Date.now().toString(36).slice(-5);
const contextOf = (cluster: string) =>
  state.clusters[['dev-us-central1-0', 'dev-europe-west1-0', 'dev-asia-east1-0'].indexOf(cluster)]!;

/** A dev fleet whose rollout is: canary (dev-europe-west1-0), then the rest. */
function wavesFleet(
  name: string,
  canary: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  globals = {},
) {
  const fleet = writeTestFleet(state, { name: `${name}.yaml`, globals });
  const doc = parse(readFileSync(fleet.file, 'utf8')) as { environments: { dev: Record<string, unknown> } };
  doc.environments.dev.rollout = {
    waves: [
      { name: 'canary', clusters: { names: [CANARY] }, ...canary },
      { name: 'rest', clusters: { selector: {} }, maxParallel: 1 },
    ],
    ...extra,
  };
  writeFileSync(fleet.file, stringify(doc));
  return fleet;
}

function release(dir: string, name: string, image: string): string {
  return writeRelease(dir, `${name}-${image.replace(/\W/g, '')}.yaml`, {
    apiVersion: 'regatta/v1',
    kind: 'Release',
    metadata: { name: `${name}.${name}`, environment: 'dev' },
    spec: { chart_name: 'web', chart_path: fixtureChart('web'), values: { image } },
  });
}

async function live(cluster: string, name: string) {
  const revisions = await listHelmRevisions(
    { kubeconfig, context: contextOf(cluster) },
    { namespace: name, release: name },
  );
  const image = (
    await attempt(
      'kubectl',
      [
        '--context',
        contextOf(cluster),
        '-n',
        name,
        'get',
        'deployment',
        name,
        '--ignore-not-found',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ],
      { env },
    )
  ).stdout;
  return { revisions: revisions.length, status: revisions.at(-1)?.status, image };
}

/** The report: the last line of `--output json` (JSON Lines while it runs, the report last). */
function jsonLast(stdout: string): Record<string, unknown> {
  try {
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  }
}

describe('progressive delivery: waves, gates, one coordinated rollback', () => {
  it('a failing canary leaves the rest untouched and the canary back on last good', async () => {
    const name = `waves-canary-${RUN}`;
    const fleet = wavesFleet(name);
    const broken = wavesFleet(`${name}-broken`, {}, {}, { [CANARY]: { imageSuffix: '-broken' } });
    assert.equal(
      (await regatta(['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:1')], env)).exitCode,
      0,
    );
    const plan = await regatta(['plan', '--fleet', fleet.file, release(fleet.dir, name, 'web:2')], env);
    assert.match(
      plan.stdout,
      /^waves: canary \[dev-europe-west1-0\] → rest \[dev-us-central1-0, dev-asia-east1-0\] \(1 at once\)$/m,
    );
    const before = await live(REST1, name);
    const result = await regatta(['deploy', '--fleet', broken.file, release(broken.dir, name, 'web:2')], env);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stdout, /wave canary failed/);
    for (const cluster of [REST1, REST2])
      assert.deepEqual(await live(cluster, name), before, `${cluster} untouched`);
    const canary = await live(CANARY, name);
    assert.equal(canary.image, 'web:1');
    assert.equal(canary.status, 'deployed');
  });

  it('a failure in the second wave rolls back both waves', async () => {
    const name = `waves-second-${RUN}`;
    const fleet = wavesFleet(name);
    const broken = wavesFleet(`${name}-broken`, {}, {}, { [REST2]: { imageSuffix: '-broken' } });
    assert.equal(
      (await regatta(['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:1')], env)).exitCode,
      0,
    );
    const result = await regatta(['deploy', '--fleet', broken.file, release(broken.dir, name, 'web:2')], env);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stdout, /wave rest failed/);
    for (const cluster of [CANARY, REST1, REST2])
      assert.equal((await live(cluster, name)).image, 'web:1', cluster);
  });

  it('a failing check in the canary rolls it back; the check sees its cluster, context, kubeconfig and release', async () => {
    const name = `waves-check-${RUN}`;
    const fleet = wavesFleet(name, {
      checks: [
        {
          run: `test -n "$KUBECONFIG" && test "$REGATTA_RELEASE" = waves-check-${RUN} && test "$REGATTA_CLUSTER" != dev-europe-west1-0`,
          timeout: '30s',
        },
      ],
    });
    assert.equal(
      (
        await regatta(
          ['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:1'), '--wave', 'rest'],
          env,
        )
      ).exitCode,
      0,
    );
    const result = await regatta(['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:2')], env);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stdout, /wave canary failed: check .* exited with 1 in dev-europe-west1-0/);
    assert.equal((await live(REST1, name)).revisions, 1, 'the rest never touched');
    assert.equal((await live(CANARY, name)).revisions, 0, 'the canary was a first install: uninstalled');
  });

  it('a soak that sees a container restart rolls the wave back', async () => {
    const name = `waves-soak-${RUN}`;
    const fleet = wavesFleet(name, { soak: '30s' });
    assert.equal(
      (
        await regatta(
          ['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:1'), '--skip-gates'],
          env,
        )
      ).exitCode,
      0,
    );
    const deploy = startRegatta(['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:2')], env);
    assert.ok(await deploy.waitFor(/soak waiting/), deploy.output().stderr);
    // What a kubelet (here kwok) reports when a container restarts.
    const context = contextOf(CANARY);
    const pods = (
      await run(
        'kubectl',
        ['--context', context, '-n', name, 'get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'],
        { env },
      )
    ).stdout.split(' ');
    const [pod] = pods.filter(Boolean);
    await run(
      'kubectl',
      [
        '--context',
        context,
        '-n',
        name,
        'patch',
        'pod',
        pod!,
        '--subresource=status',
        '-p',
        '{"status":{"containerStatuses":[{"name":"web","restartCount":3}]}}',
      ],
      { env },
    );
    assert.equal(await deploy.exited, 1, deploy.output().stderr);
    assert.match(deploy.output().stdout, /wave canary failed: soak: .* restarted/);
    assert.equal((await live(CANARY, name)).image, 'web:1');
    assert.equal((await live(REST1, name)).image, 'web:1');
  });

  it('an approval pauses the deploy (exit 0, lock kept); a second process resumes it to the end', async () => {
    const name = `waves-pause-${RUN}`;
    const fleet = wavesFleet(name, {}, { approval: 'before-wave rest' });
    const file = release(fleet.dir, name, 'web:1');
    const paused = await regatta(['deploy', '--fleet', fleet.file, file, '--output', 'json'], env);
    assert.equal(paused.exitCode, 0, paused.stderr);
    const report = jsonLast(paused.stdout);
    assert.equal(report.pausedBefore, 'rest');
    assert.equal((await live(CANARY, name)).image, 'web:1');
    assert.equal((await live(REST1, name)).revisions, 0);
    const other = await regatta(['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:9')], env);
    assert.equal(other.exitCode, 4, 'the paused deploy holds the lock');
    assert.match(other.stderr, /paused before wave rest/);
    const status = await regatta(['status', name, '--fleet', fleet.file, '--env', 'dev'], env);
    assert.match(status.stdout + status.stderr, new RegExp(`paused.*${report.deployId as string}`));
    const resumed = await regatta(
      ['deploy', '--fleet', fleet.file, file, '--resume', report.deployId as string],
      env,
    );
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    for (const cluster of [CANARY, REST1, REST2])
      assert.equal((await live(cluster, name)).image, 'web:1', cluster);
    const after = await regatta(
      ['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:2'), '--skip-gates'],
      env,
    );
    assert.equal(after.exitCode, 0, 'the lock was let go');
  });

  it('pause, then abort: the canary back on last good, the lock let go', async () => {
    const name = `waves-abort-${RUN}`;
    const fleet = wavesFleet(name, {}, { approval: 'before-wave rest' });
    assert.equal(
      (
        await regatta(
          ['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:1'), '--skip-gates'],
          env,
        )
      ).exitCode,
      0,
    );
    const paused = await regatta(
      ['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:2'), '--output', 'json'],
      env,
    );
    assert.equal(paused.exitCode, 0, paused.stderr);
    const id = jsonLast(paused.stdout).deployId as string;
    assert.equal((await live(CANARY, name)).image, 'web:2');
    const aborted = await regatta(['abort', id, '--fleet', fleet.file, '--env', 'dev'], env);
    assert.equal(aborted.exitCode, 0, aborted.stderr);
    for (const cluster of [CANARY, REST1, REST2])
      assert.equal((await live(cluster, name)).image, 'web:1', cluster);
    const again = await regatta(
      ['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:3'), '--skip-gates'],
      env,
    );
    assert.equal(again.exitCode, 0, again.stderr);
  });

  it('Ctrl-C during a soak: the wave goes back to last good, exit 130', async () => {
    const name = `waves-sigint-${RUN}`;
    const fleet = wavesFleet(name, { soak: '60s' });
    assert.equal(
      (
        await regatta(
          ['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:1'), '--skip-gates'],
          env,
        )
      ).exitCode,
      0,
    );
    const deploy = startRegatta(['deploy', '--fleet', fleet.file, release(fleet.dir, name, 'web:2')], env);
    assert.ok(await deploy.waitFor(/soak waiting/));
    await sleep(500);
    deploy.child.kill('SIGINT');
    assert.equal(await deploy.exited, 130, deploy.output().stderr);
    for (const cluster of [CANARY, REST1, REST2])
      assert.equal((await live(cluster, name)).image, 'web:1', cluster);
  });
});
