import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REQUEST_TIMEOUT_MS, withinMs, type KubeTarget } from '../../../src/adapters/kube.js';
import { retrying } from '../../../src/deploy/restore.js';
import type { Cluster } from '../../../src/model/fleet.js';
import { silentProgress } from '../../../src/report/progress.js';

const cluster = { name: 'far', context: 'far', kubeconfig: '/k' } as unknown as Cluster;
const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const at = (deadline?: number) => ({
  cluster,
  release: 'web',
  namespace: 'web',
  progress: silentProgress,
  timeoutSeconds: 20,
  deadline,
});

describe('bringing a target back by a deadline', () => {
  it("a request ends by the deadline: whole seconds, at least one, never past the target's own timeout", () => {
    const target: KubeTarget = { kubeconfig: '/k', context: 'far' };
    assert.equal(withinMs(target, Infinity), target);
    assert.equal(withinMs(target, REQUEST_TIMEOUT_MS + 1), target);
    assert.deepEqual(withinMs(target, 12_300), { ...target, timeoutMs: 13_000 });
    assert.deepEqual(withinMs(target, 0), { ...target, timeoutMs: 1000 });
    assert.deepEqual(withinMs(target, -5000), { ...target, timeoutMs: 1000 });
    const short = { ...target, timeoutMs: 10_000 };
    assert.equal(withinMs(short, 25_000), short);
  });

  it('retries a transient error while time is left, each try with a request timeout within it', async () => {
    const timeouts: (number | undefined)[] = [];
    let tries = 0;
    const result = await retrying(at(Date.now() + 20_000), async (api) => {
      timeouts.push(api.timeoutMs);
      if (++tries < 3) throw reset();
      return 'back';
    });
    assert.equal(result, 'back');
    assert.equal(tries, 3);
    assert.ok(
      timeouts.every((ms) => ms !== undefined && ms <= 20_000 && ms >= 19_000),
      `${timeouts}`,
    );
  });

  it('starts no try once the deadline has passed, and says which timeout it was', async () => {
    let tries = 0;
    await assert.rejects(
      retrying(at(Date.now() - 1), async () => {
        tries++;
      }),
      /not back within 20s \(--rollback-timeout\)/,
    );
    assert.equal(tries, 0);
  });

  it('gives up on a cluster that keeps failing when the deadline comes, not after all its tries', async () => {
    let tries = 0;
    const started = Date.now();
    await assert.rejects(
      retrying(at(Date.now() + 800), async () => {
        tries++;
        throw reset();
      }),
      /ECONNRESET/,
    );
    // Tries at 0, 0.5 s; the next (after 1 s more) would begin past the deadline.
    assert.equal(tries, 2);
    assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
  });

  it('without a deadline: the usual request timeout', async () => {
    const timeouts: (number | undefined)[] = [];
    const result = await retrying(at(undefined), async (api) => {
      timeouts.push(api.timeoutMs);
      if (timeouts.length < 2) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      return 'back';
    });
    assert.equal(result, 'back');
    assert.deepEqual(timeouts, [undefined, undefined]);
  });
});
