import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helmReleaseReadiness, type HelmReleaseState } from '../../../src/gitops/readiness.js';

const ready: HelmReleaseState = {
  generation: 3,
  observedGeneration: 3,
  conditions: [
    { type: 'Ready', status: 'True', reason: 'UpgradeSucceeded' },
    { type: 'Released', status: 'True', reason: 'UpgradeSucceeded' },
  ],
  lastAttemptedRevision: '1.2.0',
  history: [
    { chartVersion: '1.2.0', status: 'deployed' },
    { chartVersion: '1.1.0', status: 'superseded' },
  ],
};
const expected = { chartVersion: '1.2.0' };
const judge = (overrides: Partial<HelmReleaseState>) =>
  helmReleaseReadiness({ ...ready, ...overrides }, expected);

describe('HelmRelease readiness', () => {
  it('is ready when the current generation was observed, the expected chart attempted and deployed', () => {
    assert.deepEqual(helmReleaseReadiness(ready, expected), { state: 'ready' });
  });

  it('never trusts a Ready condition left from an older generation', () => {
    assert.equal(judge({ generation: 4 }).state, 'progressing');
    assert.equal(helmReleaseReadiness(undefined, expected).state, 'progressing');
  });

  it('waits while another chart version is the last attempted or the newest in history', () => {
    assert.equal(judge({ lastAttemptedRevision: '1.1.0' }).state, 'progressing');
    assert.equal(judge({ history: [{ chartVersion: '1.1.0', status: 'deployed' }] }).state, 'progressing');
  });

  it('fails on a terminal Ready=False or Stalled for the expected version', () => {
    const failed = judge({
      conditions: [
        { type: 'Ready', status: 'False', reason: 'UpgradeFailed', message: 'context deadline exceeded' },
      ],
    });
    assert.deepEqual(failed, { state: 'failed', reason: 'UpgradeFailed: context deadline exceeded' });
    assert.equal(
      judge({
        conditions: [
          { type: 'Ready', status: 'False', reason: 'Progressing' },
          { type: 'Stalled', status: 'True', reason: 'RetriesExceeded', message: 'no retries left' },
        ],
      }).state,
      'failed',
    );
  });

  it('keeps waiting on a transient Ready=False (a dependency, a source not ready yet)', () => {
    assert.equal(
      judge({ conditions: [{ type: 'Ready', status: 'False', reason: 'DependencyNotReady' }] }).state,
      'progressing',
    );
  });
});

describe('chart version from git', () => {
  it('matches a version Flux suffixed with the source revision', () => {
    assert.equal(
      helmReleaseReadiness(
        {
          ...ready,
          lastAttemptedRevision: '1.2.0+0123abcd4567',
          history: [{ chartVersion: '1.2.0+0123abcd4567', status: 'deployed' }],
        },
        expected,
      ).state,
      'ready',
    );
    assert.equal(judge({ lastAttemptedRevision: '1.2.01' }).state, 'progressing');
  });
});

describe('values deployed (config digest)', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const other = `sha256:${'cd'.repeat(32)}`;
  const withDigest = (configDigest: string | undefined): HelmReleaseState => ({
    ...ready,
    history: [{ chartVersion: '1.2.0', status: 'deployed', configDigest }, ...ready.history.slice(1)],
  });

  it('is ready when the newest release carries the expected values', () => {
    assert.deepEqual(helmReleaseReadiness(withDigest(digest), { ...expected, configDigest: digest }), {
      state: 'ready',
    });
  });

  it('keeps waiting while the newest release was deployed with other values, naming no digest', () => {
    for (const actual of [other, undefined]) {
      const readiness = helmReleaseReadiness(withDigest(actual), { ...expected, configDigest: digest });
      assert.equal(readiness.state, 'progressing');
      assert.ok(
        readiness.state === 'progressing' && !/sha256|abab|cdcd/.test(readiness.reason),
        readiness.reason,
      );
    }
  });

  it('checks no values when no digest is expected (external-secrets)', () => {
    assert.equal(helmReleaseReadiness(withDigest(other), expected).state, 'ready');
  });
});
