import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHART_DIGEST_LABEL, DEPLOY_ID_LABEL, VERDICT_LABEL } from '../../../src/model/helm-release.js';
import { liveRevisionsOf } from '../../../src/plan/live.js';
import { good, revision } from '../deploy/support.js';

const named = (name: string, r: ReturnType<typeof revision>) => ({ ...r, name });

describe('what is live, from one list of many releases', () => {
  it("gives each release its newest revision, judged against that release's own history", () => {
    const live = liveRevisionsOf([
      named('api', { ...revision(2, 'deployed', { [DEPLOY_ID_LABEL]: 'd2' }), manifest: 'api v2' }),
      named('web', { ...good(1, 'd1', 'deployed'), manifest: 'web v1', config: { a: 1 } }),
      named('api', good(1, 'd1')),
    ]);
    assert.deepEqual([...live.keys()].sort(), ['api', 'web']);
    assert.equal(live.get('api')?.revision, 2);
    assert.equal(live.get('api')?.verdict, 'undecided');
    assert.equal(live.get('api')?.deployId, 'd2');
    assert.equal(live.get('api')?.manifest, 'api v2');
    assert.equal(live.get('web')?.verdict, 'good');
    assert.deepEqual(live.get('web')?.config, { a: 1 });
  });

  it('follows a rollback revision to the one it restored, within the same release only', () => {
    const live = liveRevisionsOf([
      named('web', good(1, 'd1')),
      named('web', revision(2, 'failed', { [DEPLOY_ID_LABEL]: 'd2', [VERDICT_LABEL]: 'failed' })),
      named('web', {
        ...revision(3, 'deployed', {}, 'Rollback to 1'),
        labels: { [CHART_DIGEST_LABEL]: 'abc' },
      }),
      named('api', revision(1, 'failed', { [DEPLOY_ID_LABEL]: 'other' })),
    ]);
    assert.equal(live.get('web')?.revision, 3);
    assert.equal(live.get('web')?.verdict, 'good');
    assert.equal(live.get('web')?.deployId, 'd1');
    assert.equal(live.get('web')?.chartDigest, 'abc');
    assert.equal(live.get('api')?.verdict, 'failed');
  });

  it('has nothing for a release without revisions', () => {
    assert.equal(liveRevisionsOf([]).size, 0);
  });
});
