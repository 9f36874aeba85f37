import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import {
  linkOf,
  parseLatencyProfileFile,
  resolveLatencyProfile,
  SEED_PROFILE,
  ZERO_PROFILE,
} from '../../../src/sandbox/latency.js';
import { CLUSTER_NAMES } from '../../../src/sandbox/layout.js';

const parse = (text: string) => parseLatencyProfileFile('latency.yaml', text);

function rejectsWith(run: () => unknown, message: RegExp, line?: number, col?: number): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof UserError, String(error));
    assert.match(error.message, message);
    if (line !== undefined) assert.deepEqual(error.position, { file: 'latency.yaml', line, col });
    return true;
  });
}

describe('latency profiles', () => {
  it("seed: the seed's fleet from Paris, public clouds by region, data centres 5–30 ms", () => {
    assert.deepEqual(Object.keys(SEED_PROFILE.clusters), [...CLUSTER_NAMES]);
    assert.deepEqual(SEED_PROFILE.clusters['staging-us-central1'], { rttMs: 110, jitterMs: 5 });
    assert.deepEqual(SEED_PROFILE.clusters['prod-us-central1'], { rttMs: 110, jitterMs: 5 });
    assert.deepEqual(SEED_PROFILE.clusters['prod-asia-east1'], { rttMs: 250, jitterMs: 10 });
    assert.deepEqual(SEED_PROFILE.clusters['prod-europe-west1'], { rttMs: 15, jitterMs: 2 });
    for (const dataCentre of ['dev-us-central1-0', 'dev-europe-west1-0', 'prod-europe-west1']) {
      const { rttMs } = linkOf(SEED_PROFILE, dataCentre);
      assert.ok(rttMs >= 5 && rttMs <= 30, `${dataCentre}: ${rttMs} ms`);
    }
  });

  it('seed: the first two sandbox clusters are one near and one farther', () => {
    const [first, second] = CLUSTER_NAMES.map((name) => linkOf(SEED_PROFILE, name).rttMs);
    assert.ok((first as number) >= 5 * (second as number), `${first} vs ${second}`);
  });

  it('none means no proxy; seed and zero are built in', () => {
    assert.equal(resolveLatencyProfile('none'), undefined);
    assert.equal(resolveLatencyProfile('seed'), SEED_PROFILE);
    assert.equal(resolveLatencyProfile('zero'), ZERO_PROFILE);
    assert.ok(Object.values(ZERO_PROFILE.clusters).every((link) => link.rttMs === 0 && link.jitterMs === 0));
  });

  it('a name that is neither built in nor a file is a user error', () => {
    rejectsWith(() => resolveLatencyProfile('/no/such/profile.yaml'), /--latency \/no\/such\/profile.yaml/);
  });

  it('reads a file of cluster → { rttMs, jitterMs }; left-out jitter is 0, left-out clusters get nothing', () => {
    const profile = parse('prod-asia-east1: { rttMs: 300, jitterMs: 20 }\ndev-us-central1-0:\n  rttMs: 40\n');
    assert.equal(profile.name, 'latency.yaml');
    assert.deepEqual(profile.clusters, {
      'prod-asia-east1': { rttMs: 300, jitterMs: 20 },
      'dev-us-central1-0': { rttMs: 40, jitterMs: 0 },
    });
    assert.deepEqual(linkOf(profile, 'prod-us-central1'), { rttMs: 0, jitterMs: 0 });
  });

  it('points at an unknown cluster name', () => {
    rejectsWith(
      () => parse('prod-asia-east1: { rttMs: 5 }\nprod-mars-1: { rttMs: 5 }\n'),
      /unknown sandbox cluster prod-mars-1/,
      2,
      1,
    );
  });

  it('points at a jitter larger than the round trip', () => {
    rejectsWith(
      () => parse('prod-asia-east1: { rttMs: 10, jitterMs: 11 }\n'),
      /prod-asia-east1.jitterMs \(11\) is larger than its rttMs \(10\)/,
      1,
      41,
    );
  });

  it('points at a round trip that is not a whole number of milliseconds', () => {
    rejectsWith(
      () => parse('prod-asia-east1: { rttMs: fast }\n'),
      /prod-asia-east1.rttMs must be a whole number/,
      1,
      27,
    );
    rejectsWith(
      () => parse('prod-asia-east1: { rttMs: -1 }\n'),
      /prod-asia-east1.rttMs must be at least 0/,
      1,
      27,
    );
  });

  it('rejects unknown fields, a missing rttMs, an empty file and malformed YAML', () => {
    rejectsWith(
      () => parse('prod-asia-east1: { rttMs: 5, latency: 3 }\n'),
      /unknown field prod-asia-east1.latency/,
    );
    rejectsWith(() => parse('prod-asia-east1: { jitterMs: 3 }\n'), /missing rttMs/);
    rejectsWith(() => parse(''), /the latency profile is empty/, 1, 1);
    rejectsWith(() => parse('prod-asia-east1: { rttMs: 5\n'), /malformed YAML/);
  });
});
