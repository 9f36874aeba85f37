import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { isRunning } from '../../src/adapters/process.js';
import { listToxics } from '../../src/adapters/toxiproxy.js';
import { linkOf, SEED_PROFILE } from '../../src/sandbox/latency.js';
import { sandboxPaths } from '../../src/sandbox/layout.js';
import { readState, type SandboxState } from '../../src/sandbox/state.js';
import { latencyToxics } from '../../src/sandbox/toxics.js';
import { attempt, regatta } from './support/sandbox.js';

/** This file starts its own 2-cluster sandbox: the suite's sandbox runs without latency. */
const work = mkdtempSync(join(tmpdir(), 'regatta-latency-'));
const dir = join(work, 'sandbox');
const kubeconfigFile = sandboxPaths(dir).kubeconfig;
// Under seed, the first cluster is a 30 ms data centre and the second a 5 ms one.
const far = 'dev-us-central1-0';
const near = 'dev-europe-west1-0';

interface Client {
  server: string;
  options: { ca: Buffer; cert: Buffer; key: Buffer };
}

/** The server and credentials a context of the sandbox kubeconfig gives every client. */
function clientOf(context: string): Client {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigFile);
  const cluster = config.getCluster(context);
  const user = config.getUser(context);
  assert.ok(cluster?.caFile && user?.certFile && user.keyFile, context);
  return {
    server: cluster.server,
    options: {
      ca: readFileSync(cluster.caFile),
      cert: readFileSync(user.certFile),
      key: readFileSync(user.keyFile),
    },
  };
}

/** GET /version through the kubeconfig's server; resolves with the elapsed milliseconds. */
function timeVersion(client: Client, options: { agent: Agent | false; timeoutMs: number }): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${client.server}/version`,
      { ...client.options, agent: options.agent, timeout: options.timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - started)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`client timeout after ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Round trips of /version on one kept-alive connection (the first request opens it and is not counted). */
async function roundTrips(client: Client, count: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await timeVersion(client, { agent, timeoutMs: 30_000 });
    const samples: number[] = [];
    for (let index = 0; index < count; index++)
      samples.push(await timeVersion(client, { agent, timeoutMs: 30_000 }));
    return samples;
  } finally {
    agent.destroy();
  }
}

async function fault(...args: string[]): Promise<string> {
  const result = await regatta(['sandbox', 'fault', ...args, '--dir', dir]);
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout;
}

describe('sandbox up --latency seed', () => {
  let state: SandboxState;

  before(async () => {
    const up = await regatta(['sandbox', 'up', '--clusters', '2', '--latency', 'seed', '--dir', dir]);
    assert.equal(up.exitCode, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`${far}\\s+\\S+\\s+30±3 ms`));
    state = readState(sandboxPaths(dir).state) as SandboxState;
  });

  after(async () => {
    await regatta(['sandbox', 'down', '--dir', dir]);
    rmSync(work, { recursive: true, force: true });
  });

  it('points the kubeconfig at one proxy per cluster; the API server certificate holds up through it', async () => {
    for (const cluster of state.clusters) {
      const ports = state.ports.clusters.find((c) => c.name === cluster);
      assert.equal(clientOf(cluster).server, `https://127.0.0.1:${ports?.proxy}`);
      assert.notEqual(ports?.proxy, ports?.apiserver);
      const kubectl = await attempt(join(dir, 'bin', 'kubectl'), [
        '--kubeconfig',
        kubeconfigFile,
        '--context',
        cluster,
        'get',
        '--raw',
        '/version',
      ]);
      assert.equal(kubectl.exitCode, 0, kubectl.stderr);
      assert.match(kubectl.stdout, /"gitVersion": "v1\.34\./);
    }
    assert.deepEqual(state.network?.links[far], { link: linkOf(SEED_PROFILE, far), faults: {} });
  });

  it('status shows toxiproxy and every link', async () => {
    const status = await regatta(['sandbox', 'status', '--dir', dir]);
    assert.equal(status.exitCode, 0, status.stdout);
    assert.match(status.stdout, /^toxiproxy\s+up\s+\d+/m);
    assert.match(
      status.stdout,
      new RegExp(`^${far}\\s+127\\.0\\.0\\.1:\\d+\\s+127\\.0\\.0\\.1:\\d+\\s+30±3 ms$`, 'm'),
    );
    assert.match(status.stdout, /latency profile seed/);
  });

  it('a round trip to the far cluster takes at least its profile RTT; the near one is faster', async () => {
    const farLink = linkOf(SEED_PROFILE, far);
    const farSamples = await roundTrips(clientOf(far), 5);
    const nearSamples = await roundTrips(clientOf(near), 5);
    // The proxy delays each direction by latency ± jitter: no round trip is shorter than rtt − jitter.
    for (const sample of farSamples)
      assert.ok(sample >= farLink.rttMs - farLink.jitterMs, `${far}: ${sample} ms`);
    for (const sample of nearSamples) {
      assert.ok(
        sample >= linkOf(SEED_PROFILE, near).rttMs - linkOf(SEED_PROFILE, near).jitterMs,
        `${near}: ${sample}`,
      );
    }
    assert.ok(Math.min(...nearSamples) < Math.min(...farSamples), `${nearSamples} vs ${farSamples}`);
  });

  it('fault latency sets a round trip; clear puts the profile back', async () => {
    assert.match(await fault(near, 'latency', '400', '--jitter', '20'), /400±20 ms \(fault\)/);
    for (const sample of await roundTrips(clientOf(near), 3)) assert.ok(sample >= 380, `${sample} ms`);
    await fault(near, 'clear');
    const api = { url: `http://127.0.0.1:${state.ports.toxiproxy}` };
    assert.deepEqual(
      (await listToxics(api, near)).map((t) => [t.name, t.attributes.latency, t.attributes.jitter]),
      latencyToxics(linkOf(SEED_PROFILE, near)).map((t) => [
        t.name,
        t.attributes.latency,
        t.attributes.jitter,
      ]),
    );
  });

  it('fault timeout: a request hangs until its client gives up, open connections too; clear restores it', async () => {
    const client = clientOf(far);
    const open = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await timeVersion(client, { agent: open, timeoutMs: 30_000 });
      assert.match(await fault(far, 'timeout'), /timeout \(black hole\)/);
      const started = performance.now();
      await assert.rejects(
        timeVersion(client, { agent: false, timeoutMs: 2_000 }),
        /client timeout after 2000 ms/,
      );
      assert.ok(performance.now() - started >= 2_000);
      await assert.rejects(
        timeVersion(client, { agent: open, timeoutMs: 2_000 }),
        /client timeout after 2000 ms/,
      );
      // The near cluster is not affected.
      await timeVersion(clientOf(near), { agent: false, timeoutMs: 30_000 });
      await fault(far, 'clear');
      await timeVersion(client, { agent: false, timeoutMs: 30_000 });
    } finally {
      open.destroy();
    }
  });

  it('fault timeout MS: the swallowed connection is closed MS later (the client hears it closed, not its own timeout)', async () => {
    assert.match(await fault(far, 'timeout', '1500'), /timeout \(black hole, closed after 1500 ms\)/);
    try {
      const started = performance.now();
      const error = await timeVersion(clientOf(far), { agent: false, timeoutMs: 20_000 }).then(
        () => assert.fail('a request through the black hole was answered'),
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      const took = performance.now() - started;
      assert.doesNotMatch(error.message, /client timeout/);
      assert.ok(took >= 1_400 && took < 10_000, `closed after ${took} ms`);
    } finally {
      await fault(far, 'clear');
    }
    await timeVersion(clientOf(far), { agent: false, timeoutMs: 30_000 });
  });

  it('fault reset: connections are reset; clear restores them', async () => {
    assert.match(await fault(near, 'reset'), /reset/);
    await assert.rejects(timeVersion(clientOf(near), { agent: false, timeoutMs: 30_000 }), {
      code: 'ECONNRESET',
    });
    const kubectl = await attempt(join(dir, 'bin', 'kubectl'), [
      '--kubeconfig',
      kubeconfigFile,
      '--context',
      near,
      'get',
      '--raw',
      '/version',
      '--request-timeout=10s',
    ]);
    assert.notEqual(kubectl.exitCode, 0);
    await fault(near, 'clear');
    await timeVersion(clientOf(near), { agent: false, timeoutMs: 30_000 });
  });

  it('stop-cluster closes the proxy too (connection refused); start-cluster opens it again', async () => {
    const stopped = await regatta(['sandbox', 'stop-cluster', near, '--dir', dir]);
    assert.equal(stopped.exitCode, 0, stopped.stderr);
    await assert.rejects(timeVersion(clientOf(near), { agent: false, timeoutMs: 30_000 }), {
      code: 'ECONNREFUSED',
    });
    const started = await regatta(['sandbox', 'start-cluster', near, '--dir', dir]);
    assert.equal(started.exitCode, 0, started.stderr);
    const samples = await roundTrips(clientOf(near), 1);
    assert.ok(
      (samples[0] as number) >= linkOf(SEED_PROFILE, near).rttMs - linkOf(SEED_PROFILE, near).jitterMs,
    );
  });

  it('refuses a fault on an unknown cluster and a bad fault with exit code 2', async () => {
    const unknown = await regatta(['sandbox', 'fault', 'no-such-cluster', 'timeout', '--dir', dir]);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /^error: no cluster named no-such-cluster/);
    const bad = await regatta(['sandbox', 'fault', far, 'latency', 'slow', '--dir', dir]);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /must be a whole number/);
  });

  it('down stops toxiproxy with everything else', async () => {
    const down = await regatta(['sandbox', 'down', '--dir', dir]);
    assert.equal(down.exitCode, 0, down.stderr);
    const toxiproxy = state.components.find((c) => c.definition.name === 'toxiproxy');
    assert.ok(toxiproxy?.process);
    assert.equal(isRunning(toxiproxy.process), false);
  });
});
