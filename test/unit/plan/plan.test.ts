import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/errors.js';
import type { PlannedTarget } from '../../../src/model/plan.js';
import { pickChartVersion } from '../../../src/plan/chart-version.js';
import { decide, knownUnchanged, needsRender, type LiveRevision } from '../../../src/plan/plan.js';
import { applyReplicaCounts } from '../../../src/plan/scaling.js';
import { formatDeployId, DEPLOY_ID_PATTERN } from '../../../src/deploy/deploy-id.js';
import { parseLabelSelectors } from '../../../src/plan/select.js';

const target: PlannedTarget = {
  release: 'app1',
  namespace: 'ns1',
  environment: 'dev',
  cluster: 'dev-us-central1-0',
  context: 'dev-us-central1-0',
  chartName: 'app1',
  chartVersion: '1.2.0',
  chartDigest: 'abc123',
  chart: { kind: 'repo', repoUrl: 'http://127.0.0.1:8080', name: 'app1', version: '1.2.0' },
  replicas: [{ name: 'app1', count: 3 }],
  secretIds: [],
  releaseFile: '/releases/app1.yaml',
};
const rendered = `---
# Source: app1/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: { name: app1 }
spec: { replicas: 1 }
---
# Source: app1/templates/hook.yaml
apiVersion: batch/v1
kind: Job
metadata: { name: migrate, annotations: { helm.sh/hook: pre-upgrade } }
`;
const values = { global: { env: 'dev' } };
const liveManifest = applyReplicaCounts(
  rendered.split('---\n# Source: app1/templates/hook.yaml')[0] as string,
  target.replicas,
).manifest;
const live: LiveRevision = {
  revision: 4,
  status: 'deployed',
  verdict: 'good',
  chartVersion: '1.2.0',
  manifest: liveManifest,
  config: values,
};

describe('plan decisions', () => {
  it('installs what is not live; over a history kept by uninstall --keep-history, helm must replace it', () => {
    const fresh = decide({ target, rendered, values });
    assert.equal(fresh.action, 'install');
    assert.equal(fresh.overHistory, undefined);
    const overHistory = decide({ target, rendered, values, live: { ...live, status: 'uninstalled' } });
    assert.equal(overHistory.action, 'install');
    assert.equal(overHistory.overHistory, true);
  });

  it('skips a release whose chart, manifests (hooks aside) and values equal the live revision', () => {
    const entry = decide({ target, rendered, values, live });
    assert.equal(entry.action, 'unchanged');
    assert.equal(entry.currentRevision, 4);
  });

  it('upgrades when the values, the chart version or the replica counts differ, and says why', () => {
    assert.deepEqual(decide({ target, rendered, values: { global: { env: 'prod' } }, live }).reasons, [
      'values differ',
    ]);
    assert.deepEqual(decide({ target, rendered, values, live: { ...live, chartVersion: '1.1.0' } }).reasons, [
      'chart 1.1.0 → 1.2.0',
    ]);
    const rescaled = { ...target, replicas: [{ name: 'app1', count: 5 }] };
    assert.deepEqual(decide({ target: rescaled, rendered, values, live }).reasons, ['manifests differ']);
  });

  it('upgrades over a failed live revision', () => {
    assert.deepEqual(decide({ target, rendered, values, live: { ...live, status: 'failed' } }).reasons, [
      'live revision is failed',
    ]);
  });

  it('fails naming release, cluster and object when a scaled Deployment is not rendered', () => {
    assert.throws(
      () => decide({ target: { ...target, replicas: [{ name: 'hermes', count: 2 }] }, rendered, values }),
      (error: unknown) =>
        error instanceof UserError &&
        error.message ===
          'release app1 in cluster dev-us-central1-0: no Deployment or StatefulSet named hermes in the rendered chart',
    );
  });
});

describe('no-op fast path', () => {
  const mine = { ...live, chartDigest: 'abc123' };
  it('knows a revision Regatta deployed from the same chart digest and values renders to itself', () => {
    assert.equal(knownUnchanged(target, values, mine), true);
  });
  it('renders again when the digest, the values, the version or the status differ, or the label is absent', () => {
    assert.equal(knownUnchanged(target, values, { ...mine, chartDigest: 'other' }), false);
    assert.equal(knownUnchanged(target, values, live), false);
    assert.equal(knownUnchanged(target, { global: { env: 'prod' } }, mine), false);
    assert.equal(knownUnchanged(target, values, { ...mine, chartVersion: '1.1.0' }), false);
    assert.equal(knownUnchanged(target, values, { ...mine, status: 'failed' }), false);
    assert.equal(knownUnchanged({ ...target, chartDigest: '' }, values, { ...mine, chartDigest: '' }), false);
  });
});

describe('when rendering is needed', () => {
  const plain = { ...target, replicas: [] };
  it('not for a first install or changed values without replica counts: the target changes anyway', () => {
    assert.equal(needsRender(plain, values, undefined), false);
    assert.equal(needsRender(plain, { other: true }, live), false);
    assert.deepEqual(decide({ target: plain, values: { other: true }, live }).reasons, ['values differ']);
  });
  it('when values are equal (the manifests decide) or replica counts must match rendered objects', () => {
    assert.equal(needsRender(plain, values, live), true);
    assert.equal(needsRender(target, values, undefined), true);
  });
});

describe('chart version choice', () => {
  const versions = [
    '1.4.2',
    '1.4.10',
    '1.5.0-other.abc',
    '1.4.3-mybranch.1a2b3c4',
    '1.4.11-mybranch.9f8e7d6',
    'junk',
  ];
  it('takes the newest released version by semver', () => {
    assert.equal(pickChartVersion(versions), '1.4.10');
  });
  it("on dev, takes the newest built from the release's branch", () => {
    assert.equal(pickChartVersion(versions, 'mybranch'), '1.4.11-mybranch.9f8e7d6');
    assert.equal(pickChartVersion(versions, 'nobranch'), undefined);
  });
  it('finds the builds of a branch with a slash under the pre-release the bump gave them', () => {
    assert.equal(
      pickChartVersion(['1.4.3-feature-login.1a2b3c4', '1.4.2'], 'feature/login'),
      '1.4.3-feature-login.1a2b3c4',
    );
  });
  it('among builds of one version, takes the one pushed last, not the largest hash', () => {
    const builds = [
      { version: '1.4.3-mybranch.fff0000', created: '2026-11-20T10:00:00Z' },
      { version: '1.4.3-mybranch.0aa1111', created: '2026-11-25T09:00:00Z' },
      { version: '1.4.2-mybranch.eee2222', created: '2026-11-26T09:00:00Z' },
    ];
    assert.equal(pickChartVersion(builds, 'mybranch'), '1.4.3-mybranch.0aa1111');
  });
});

describe('deploy ids and selectors', () => {
  it('makes time-sortable ids that are valid label values', () => {
    const id = formatDeployId(new Date('2026-11-25T14:30:01.123Z'), '3fa2', 'abcdef12');
    assert.equal(id, '20261125T143001Z-3fa2-gabcdef12');
    assert.match(id, DEPLOY_ID_PATTERN);
    assert.ok(
      formatDeployId(new Date('2026-11-25T09:00:00Z'), 'ffff') <
        formatDeployId(new Date('2026-11-25T10:00:00Z'), '0000'),
    );
  });
  it('parses -l key=value selectors and refuses anything else', () => {
    assert.deepEqual(parseLabelSelectors(['provider=gcp', 'tier=1,zone=b']), {
      provider: 'gcp',
      tier: '1',
      zone: 'b',
    });
    assert.throws(() => parseLabelSelectors(['provider']), UserError);
  });
});
