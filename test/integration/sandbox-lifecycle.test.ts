import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isRunning } from '../../src/adapters/process.js';
import { serverVersion } from '../../src/adapters/kube.js';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { readState } from '../../src/sandbox/state.js';
import { attempt, interruptWhen, regatta, testSandbox } from './support/sandbox.js';

const { dir, state, env } = testSandbox();

describe('sandbox lifecycle', () => {
  it('says so when `up` finds the sandbox already running, and changes nothing', async () => {
    const result = await regatta(['sandbox', 'up', '--dir', dir]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stderr, /already running/);
    assert.deepEqual(
      readState(sandboxPaths(dir).state)?.components.map((c) => c.process),
      state.components.map((c) => c.process),
    );
  });

  it('status exits 0 with every component up', async () => {
    const result = await regatta(['sandbox', 'status', '--dir', dir, '--output', 'json']);
    assert.equal(result.exitCode, 0, result.stdout);
    const status = JSON.parse(result.stdout) as { up: boolean; components: { name: string; up: boolean }[] };
    assert.equal(status.components.length, 4 + 4 * state.clusters.length);
    assert.ok(status.components.every((c) => c.up));
  });

  it('stop-cluster makes one API server refuse connections; start-cluster brings it back with its data', async () => {
    const cluster = state.clusters[state.clusters.length - 1] as string;
    const target = { kubeconfig: sandboxPaths(dir).kubeconfig, context: cluster };
    const marker = `marker-${Date.now()}`;
    await attempt('kubectl', ['--context', cluster, 'create', 'configmap', marker, '--from-literal=k=v'], {
      env,
    });

    const stopped = await regatta(['sandbox', 'stop-cluster', cluster, '--dir', dir]);
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    await assert.rejects(serverVersion(target), /ECONNREFUSED/);
    const status = await regatta(['sandbox', 'status', '--dir', dir]);
    assert.equal(status.exitCode, 1, 'status fails while a component is down');
    assert.match(status.stdout, new RegExp(`${cluster}/kube-apiserver\\s+down`));
    // The other clusters are untouched.
    for (const other of state.clusters.filter((c) => c !== cluster)) {
      await serverVersion({ ...target, context: other });
    }

    const started = await regatta(['sandbox', 'start-cluster', cluster, '--dir', dir]);
    assert.equal(started.exitCode, 0, started.stderr);
    assert.match((await serverVersion(target)).gitVersion, /^v1\.34\./);
    const kept = await attempt('kubectl', ['--context', cluster, 'get', 'configmap', marker, '-o', 'name'], {
      env,
    });
    assert.equal(kept.stdout.trim(), `configmap/${marker}`);
  });

  it('refuses an unknown cluster name with exit code 2', async () => {
    const result = await regatta(['sandbox', 'stop-cluster', 'no-such-cluster', '--dir', dir]);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /^error: no cluster named no-such-cluster/);
  });

  it('a component that fails to start: its name and log tail are shown, everything started is stopped', async () => {
    const other = mkdtempSync(join(tmpdir(), 'regatta-failing-'));
    const failing = join(other, 'chartmuseum-that-fails');
    writeFileSync(failing, '#!/bin/sh\necho "pretend chartmuseum: cannot open storage" >&2\nexit 3\n');
    chmodSync(failing, 0o755);
    const sandboxDir = join(other, 'sandbox');
    try {
      const result = await regatta(['sandbox', 'up', '--clusters', '1', '--dir', sandboxDir], {
        ...process.env,
        REGATTA_CHARTMUSEUM_BIN: failing,
      });
      assert.equal(result.exitCode, 1, result.stderr);
      assert.match(result.stderr, /sandbox component chartmuseum exited while starting/);
      assert.match(result.stderr, /chartmuseum \| pretend chartmuseum: cannot open storage/);
      const failed = readState(sandboxPaths(sandboxDir).state);
      assert.ok(failed);
      const started = failed.components.filter((c) => c.process);
      assert.ok(
        started.some((c) => c.definition.name === 'etcd'),
        'etcd had been started',
      );
      assert.deepEqual(
        started.filter((c) => c.process && isRunning(c.process)).map((c) => c.definition.name),
        [],
      );
      // The running sandbox holds the conventional ports, so this one had to take others.
      assert.notEqual(failed.ports.etcd, state.ports.etcd);
      assert.notEqual(failed.ports.clusters[0]?.apiserver, state.ports.clusters[0]?.apiserver);
    } finally {
      await regatta(['sandbox', 'down', '--dir', sandboxDir]);
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('an interrupted `up` stops what it had started', async () => {
    const other = mkdtempSync(join(tmpdir(), 'regatta-interrupted-'));
    const sandboxDir = join(other, 'sandbox');
    await interruptWhen(
      ['sandbox', 'up', '--clusters', '1', '--dir', sandboxDir],
      process.env,
      'etcd up',
      'SIGTERM',
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const leftovers = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(sandboxDir);
        } catch {
          return false;
        }
      });
    assert.deepEqual(leftovers, [], 'no process of the interrupted sandbox is left');
    rmSync(other, { recursive: true, force: true });
  });
});
