import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GitopsDeployReport } from '../../../src/gitops/deploy.js';
import type { GitopsPlan } from '../../../src/gitops/run.js';
import { renderGitopsDeploy, renderGitopsPlan } from '../../../src/report/gitops.js';

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
});
