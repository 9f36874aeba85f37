import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusRow } from '../../../src/gitops/status.js';

const sync = { conditions: [], lastAppliedRevision: 'prod@sha1:0123456789abcdef0123456789abcdef01234567' };

describe('gitops status row', () => {
  it('names the commit applied, the chart deployed and the state', () => {
    const row = statusRow(
      'web.front',
      'prod-us-central1',
      {
        generation: 2,
        observedGeneration: 2,
        conditions: [{ type: 'Ready', status: 'True' }],
        lastAttemptedRevision: '1.2.0',
        history: [{ chartVersion: '1.2.0', status: 'deployed' }],
      },
      sync,
    );
    assert.deepEqual(row, {
      release: 'web.front',
      cluster: 'prod-us-central1',
      applied: '01234567',
      chart: '1.2.0',
      state: 'ready',
      reason: '',
      drift: '-',
    });
  });

  it('shows Flux’s last correction of drift, and a failed one loudly', () => {
    const ready = {
      generation: 1,
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True' }],
      history: [{ chartVersion: '1.0.0', status: 'deployed' }],
    };
    assert.equal(
      statusRow('web.front', 'c', ready, sync, { at: '2026-11-25T10:00:00.000Z', failed: false }).drift,
      'corrected 2026-11-25T10:00:00.000Z',
    );
    assert.match(
      statusRow('web.front', 'c', ready, sync, { at: 't', failed: true }).drift,
      /^correction FAILED/,
    );
  });

  it('says absent when the cluster has no such HelmRelease, and - when nothing was applied', () => {
    const row = statusRow('web.front', 'prod-us-central1', undefined, undefined);
    assert.equal(row.state, 'absent');
    assert.equal(row.applied, '-');
  });

  it('shows why a release is not ready', () => {
    const row = statusRow(
      'web.front',
      'c',
      {
        generation: 3,
        observedGeneration: 3,
        conditions: [{ type: 'Ready', status: 'False', reason: 'UpgradeFailed', message: 'timed out' }],
        lastAttemptedRevision: '1.3.0',
        history: [{ chartVersion: '1.3.0', status: 'failed' }],
      },
      sync,
    );
    assert.equal(row.state, 'failed');
    assert.equal(row.reason, 'UpgradeFailed: timed out');
  });
});
