import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { applyFault } from '../../src/sandbox/network.js';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { sandboxEnvironment } from '../../src/sandbox/sandbox.js';
import { readState } from '../../src/sandbox/state.js';
import { parseFault } from '../../src/sandbox/toxics.js';
import type { Outcome } from '../../src/model/outcome.js';
import { writeTestFleet } from '../integration/support/fleet.js';
import { deployJson, regatta } from '../integration/support/sandbox.js';
import { figure, readClusterState, repeat, settledStates, spawnRegatta, webRelease } from './common.js';

// The suite's sandbox runs without a proxy: this file starts its own 2-cluster sandbox with one
// (`--latency zero`: nothing added until a fault says so) and always stops it.
const work = mkdtempSync(join(tmpdir(), 'regatta-network-'));
const dir = join(work, 'sandbox');
const kubeconfig = sandboxPaths(dir).kubeconfig;
const [near, far] = ['dev-us-central1-0', 'dev-europe-west1-0'];
const contexts = [near, far];
let env: NodeJS.ProcessEnv = process.env;

/** Long enough that the chart's Deployment accepts minReadySeconds 20 (the slow fleet). */
const values = { progressDeadlineSeconds: 60 };

async function fault(cluster: string, kind: string, value?: string): Promise<void> {
  // In-process, through the code `regatta sandbox fault` runs: it lands within milliseconds.
  await applyFault(dir, cluster, parseFault(kind, value));
}

/** The summary line of `deploy --output json`: each outcome's cluster, release and timings. */
type Summary = { outcomes?: (Pick<Outcome, 'status' | 'timings'> & { cluster: string; release: string })[] };

describe('fault: the network (a sandbox with a proxy in front of each API server)', () => {
  before(async () => {
    const up = await regatta(['sandbox', 'up', '--clusters', '2', '--latency', 'zero', '--dir', dir]);
    assert.equal(up.exitCode, 0, up.stderr);
    const state = readState(sandboxPaths(dir).state);
    assert.deepEqual(state?.clusters, contexts);
    env = { ...process.env, ...sandboxEnvironment(dir, process.env) };
  });

  after(async () => {
    await regatta(['sandbox', 'down', '--dir', dir]);
    rmSync(work, { recursive: true, force: true });
  });

  const fleets = () => {
    const state = readState(sandboxPaths(dir).state)!;
    const fleet = writeTestFleet(state, { dir: mkdtempSync(join(work, 'fleet-')) });
    const at = (name: string, globals: Record<string, Record<string, unknown>>) =>
      writeTestFleet(state, { dir: fleet.dir, name, globals });
    return {
      fleet,
      // far's rollouts take 20 s: a deploy is surely in flight there when the fault comes.
      slow: at('regatta-slow.yaml', { [far]: { minReadySeconds: 20 } }),
      // far's image never becomes Ready: the deploy fails there and rolls back everywhere.
      broken: at('regatta-broken.yaml', { [far]: { imageSuffix: '-broken' } }),
    };
  };

  /**
   * far becomes a black hole while its upgrade runs: `before helm connects` (helm then fails on
   * its own, its TLS handshake timing out), or `during helm's wait` (its Deployment already has
   * the new image; helm would wait its whole --timeout). Each run asserts how long the deploy
   * took after the fault and after the failure, that near is back on last good, and that a rerun
   * once the fault is cleared converges.
   */
  async function blackHole(scenario: {
    name: string;
    when: 'before helm connects' | "during helm's wait";
    timeout: number;
    rollbackTimeout?: number;
    /** Seconds from the fault to the deploy's end, at most. */
    afterFault: number;
    /** Seconds from the failure ("goes back to its last good revision") to the end, at most. */
    afterFailure: number;
  }) {
    const { fleet, slow } = fleets();
    const runs = repeat(1);
    let held = 0;
    const failures: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const name = `${scenario.name}-${run}`;
      const first = await regatta(
        ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:old', values)],
        env,
      );
      assert.equal(first.exitCode, 0, first.stderr);
      const release = webRelease(fleet.dir, name, 'registry.example/web:new', values);
      const deploy = spawnRegatta(
        [
          'deploy',
          '--fleet',
          slow.file,
          release,
          '--timeout',
          String(scenario.timeout),
          ...(scenario.rollbackTimeout === undefined
            ? []
            : ['--rollback-timeout', String(scenario.rollbackTimeout)]),
        ],
        env,
      );
      let code: number | null = null;
      let faultAt = Infinity;
      let afterFault = Infinity;
      let failedAt = Infinity;
      let afterFailure = Infinity;
      let nearState;
      try {
        await deploy.waitFor(new RegExp(`${far} \\S+: deploying`));
        if (scenario.when === "during helm's wait") await newImageIn(far, name);
        await fault(far, 'timeout');
        faultAt = performance.now();
        void deploy.waitFor(/goes back to its last good revision/).then((seen) => {
          if (seen) failedAt = performance.now();
        });
        // A hang is a failure of this scenario, not of the test run: give up well past the bound.
        // Not ref'd: once the deploy has ended, this timer must not keep the test file running.
        const ended = await Promise.race([
          deploy.exited.then(() => true),
          sleep((scenario.afterFault + 120) * 1000, false, { ref: false }),
        ]);
        if (ended) {
          code = await deploy.exited;
          afterFault = (performance.now() - faultAt) / 1000;
          afterFailure = (performance.now() - failedAt) / 1000;
        } else {
          deploy.child.kill('SIGTERM');
          deploy.child.kill('SIGTERM');
        }
        nearState = await readClusterState(kubeconfig, near, name);
      } finally {
        await fault(far, 'clear');
      }
      const { stderr } = deploy.output();
      const rerun = await regatta(['deploy', '--fleet', slow.file, release], env);
      const after = await settledStates(kubeconfig, contexts, name);
      const ok =
        code === 3 &&
        new RegExp(`${far}[^\\n]*does not answer`).test(stderr) &&
        afterFault <= scenario.afterFault &&
        afterFailure <= scenario.afterFailure &&
        nearState.image === 'registry.example/web:old' &&
        nearState.healthy &&
        rerun.exitCode === 0 &&
        after.every(
          (s) => s.image === 'registry.example/web:new' && s.healthy && s.helmStatus === 'deployed',
        );
      console.log(
        `# ${name} (${scenario.when}): exit ${code}, ${afterFault.toFixed(0)} s after the fault (--timeout ${scenario.timeout}, bound ${scenario.afterFault} s), ${afterFailure.toFixed(0)} s of it after the failure (bound ${scenario.afterFailure} s)`,
      );
      if (ok) held++;
      else
        failures.push(
          `run ${run}: exit ${code} ${afterFault.toFixed(0)} s after the fault (${afterFailure.toFixed(0)} s after the failure); near ${JSON.stringify(nearState)}; rerun ${rerun.exitCode} ${rerun.stderr.slice(-600)}; after ${JSON.stringify(after)}\n${stderr.slice(-2000)}`,
        );
    }
    assert.ok(figure(`API server black-holed ${scenario.when}`, held, runs), failures.join('\n\n'));
  }

  /** Until the cluster's Deployment has the new image: helm has applied, and waits. */
  async function newImageIn(cluster: string, name: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const state = await readClusterState(kubeconfig, cluster, name).catch(() => undefined);
      if (state?.image === 'registry.example/web:new') return;
      await sleep(100);
    }
    throw new Error(`${cluster}'s Deployment never got the new image`);
  }

  it('an API server black-holed before helm connects: helm fails on its own; the cluster is given up on 10 s later (one short request), whatever --rollback-timeout says; the other cluster back on last good; after clear a rerun converges', async () => {
    // helm's TLS handshake times out after 10 s; then the deploy asks far once, 10 s, and
    // releases no lock there (they expire). Before: 60 s of retries and 10 s per lease release.
    await blackHole({
      name: 'net-blackhole',
      when: 'before helm connects',
      timeout: 60,
      afterFault: 10 + 10 + 15,
      afterFailure: 10 + 15,
    });
  });

  it("an API server black-holed during helm's wait: the deploy fails when the lock's heartbeat gets no answer, long before --timeout; the other cluster back on last good; after clear a rerun converges", async () => {
    // The heartbeat's next renewal (≤ 20 s) gets no answer (30 s): the deploy stops; far's helm
    // gets SIGTERM, then SIGKILL 10 s later; far is asked once (10 s). Before: helm's whole
    // --timeout (300 s), helm recording its failure over the dead link, and 70 s of retries.
    await blackHole({
      name: 'net-blackhole-wait',
      when: "during helm's wait",
      timeout: 300,
      afterFault: 20 + 30 + 10 + 10 + 20,
      afterFailure: 10 + 15,
    });
  });

  it("a cluster with 2 s of latency does not slow the other cluster's rollout", async () => {
    const { fleet } = fleets();
    // Generous: what this asserts is "not held back by the far cluster", not a speed. A fast
    // cluster waiting on a 2 s-RTT one would take as long as it (many round trips).
    const factor = 3;
    const runs = repeat(1);
    let held = 0;
    const failures: string[] = [];
    // Helm's upgrade and its wait for the rollout: the target's whole helm run.
    const upgradeSeconds = (summary: Summary, cluster: string) => {
      const timings = summary.outcomes?.find((o) => o.cluster === cluster)?.timings;
      return (timings?.upgrade ?? NaN) + (timings?.wait ?? NaN);
    };
    for (let run = 1; run <= runs; run++) {
      const deployBoth = async (name: string) => {
        const result = await regatta(
          [
            'deploy',
            '--fleet',
            fleet.file,
            webRelease(fleet.dir, name, 'registry.example/web:1'),
            '--output',
            'json',
          ],
          env,
        );
        return { result, summary: deployJson<Summary>(result.stdout) };
      };
      const base = await deployBoth(`net-latency-base-${run}`);
      await fault(far, 'latency', '2000');
      let slowed;
      try {
        slowed = await deployBoth(`net-latency-slow-${run}`);
      } finally {
        await fault(far, 'clear');
      }
      const nearBefore = upgradeSeconds(base.summary, near);
      const nearWith = upgradeSeconds(slowed.summary, near);
      const farWith = upgradeSeconds(slowed.summary, far);
      console.log(
        `# run ${run}: ${near} ${nearBefore.toFixed(1)} s alone, ${nearWith.toFixed(1)} s beside ${far} at 2 s RTT (${farWith.toFixed(1)} s there)`,
      );
      const ok =
        base.result.exitCode === 0 &&
        slowed.result.exitCode === 0 &&
        // The fault took effect: the far cluster was the slow one.
        farWith > nearWith &&
        nearWith <= nearBefore * factor;
      if (ok) held++;
      else
        failures.push(
          `run ${run}: exits ${base.result.exitCode}/${slowed.result.exitCode}; ${near} ${nearBefore} s → ${nearWith} s, ${far} ${farWith} s\n${slowed.result.stderr.slice(-1500)}`,
        );
    }
    assert.ok(
      figure('2 s of latency in one cluster, the other not slowed', held, runs),
      failures.join('\n\n'),
    );
  });

  it('connections reset during a rollback: retried, and every cluster ends on last good', async () => {
    const { fleet, broken } = fleets();
    const runs = repeat(2);
    let held = 0;
    const failures: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const name = `net-reset-${run}`;
      const first = await regatta(
        ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:good')],
        env,
      );
      assert.equal(first.exitCode, 0, first.stderr);
      const release = webRelease(fleet.dir, name, 'registry.example/web:bad');
      const deploy = spawnRegatta(['deploy', '--fleet', broken.file, release], env);
      try {
        // near is deployed, far's rollout will fail: near's link resets every connection from now
        // until 1 s into the rollback, so bringing near back meets resets from its first request
        // (after a rollback had begun, the resets could fall inside helm's own run, which
        // client-go retries itself: then nothing of ours was ever retried).
        if (await deploy.waitFor(new RegExp(`${near} \\S+: healthy`))) {
          await fault(near, 'reset');
          if (await deploy.waitFor(/goes back to its last good revision/)) await sleep(1000);
        }
      } finally {
        await fault(near, 'clear');
      }
      const code = await deploy.exited;
      const { stderr } = deploy.output();
      const states = await settledStates(kubeconfig, contexts, name);
      const retried = /try \d+; again in/.test(stderr);
      const ok =
        code === 1 &&
        retried &&
        states.every(
          (s) => s.healthy && s.image === 'registry.example/web:good' && s.helmStatus === 'deployed',
        );
      if (ok) held++;
      else
        failures.push(
          `run ${run}: exit ${code}; retried ${retried}; ${JSON.stringify(states)}\n${stderr.slice(-2000)}`,
        );
    }
    assert.ok(figure('connections reset during a rollback', held, runs), failures.join('\n\n'));
  });
});
