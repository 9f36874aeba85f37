import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GitopsDeployReport } from '../../../src/gitops/deploy.js';
import type { GitopsPlan } from '../../../src/gitops/run.js';
import { renderGitopsDeploy, renderGitopsPlan, renderGitopsStatus } from '../../../src/report/gitops.js';

describe('rendering a Flux deploy', () => {
  it('marks the wave behind a manual approval in the plan', () => {
    const plan: GitopsPlan = {
      environment: 'prod',
      repo: 'http://git/fleet.git',
      branch: 'prod',
      waves: [
        { name: 'canary', clusters: ['eu'], approval: false },
        { name: 'rest', clusters: ['us'], approval: true },
      ],
      clusters: [
        { cluster: 'eu', files: [{ status: 'M', path: 'clusters/eu/releases/web.apps.yaml' }], patch: '' },
        { cluster: 'us', files: [], patch: '' },
      ],
    };
    const out = renderGitopsPlan(plan);
    assert.match(out, /^canary\s+eu\s+change\s+clusters\/eu\/releases\/web\.apps\.yaml$/m);
    assert.match(out, /^\[approval\] rest\s+us\s+unchanged/m);
  });

  it('says how to approve or undo a paused deploy', () => {
    const report: GitopsDeployReport = {
      deployId: 'D1',
      waves: [
        { name: 'canary', clusters: ['eu'], state: 'done', commit: '0123456789abcdef' },
        { name: 'rest', clusters: ['us'], state: 'paused-before' },
      ],
      outcomes: [{ release: 'web.apps', cluster: 'eu', state: 'ready' }],
      pausedBefore: 'rest',
    };
    const out = renderGitopsDeploy(report);
    assert.match(out, /^rest\s+us\s+-\s+paused-before/m);
    assert.match(out, /paused before wave rest .*regatta deploy --resume D1.*regatta abort D1/);
  });

  it('warns in status of a deploy paused on the fleet branch, or says the branch could not be read', () => {
    const rows = [
      {
        release: 'web.apps',
        cluster: 'eu',
        applied: '01234567',
        chart: '1.0.0',
        state: 'ready' as const,
        drift: '-',
        reason: '',
      },
    ];
    assert.doesNotMatch(renderGitopsStatus(rows), /paused/);
    const paused = renderGitopsStatus(rows, {
      deployId: 'D1',
      kind: 'pause',
      wave: 'rest',
      reverted: false,
      author: 'ann',
      date: '2026-11-25T10:00:00Z',
      commit: 'c1',
      subject: 'regatta pause D1: prod, waiting for approval before wave rest',
    });
    assert.match(
      paused,
      /^deploy D1 is paused before wave rest \(ann, 2026-11-25T10:00:00Z\): `regatta deploy --resume D1`/m,
    );
    assert.match(
      renderGitopsStatus(rows, { unreadable: 'git ls-remote exited with code 128' }),
      /fleet branch not read: git ls-remote/,
    );
  });
});
