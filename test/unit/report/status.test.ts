import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReleaseCell, StatusMatrix } from '../../../src/deploy/status.js';
import { renderStatus, shortDeployRef, STATUS_LEGEND } from '../../../src/report/status.js';
import { colours } from '../../../src/report/style.js';

const SIX = [
  'dev-us-central1-0',
  'dev-europe-west1-0',
  'staging-us-central1',
  'prod-europe-west1',
  'prod-us-central1',
  'prod-asia-east1',
];
const ID = '20261125T143001Z-3fa2-g1a2b3c4d';

const cell = (extra: Partial<ReleaseCell> = {}): ReleaseCell => ({
  chartVersion: '1.12.3',
  revision: 12,
  deployId: ID,
  status: 'deployed',
  verdict: 'good',
  ...extra,
});

const matrix = (
  cells: Record<string, ReleaseCell | undefined>,
  unreachable: Record<string, string> = {},
): StatusMatrix => ({
  locks: [],
  clusters: SIX,
  releases: [
    { release: 'graphql', namespace: 'graphql', cells },
    {
      release: 'shop',
      namespace: 'shop',
      cells: Object.fromEntries(SIX.map((c) => [c, cell({ chartVersion: '0.4.0', revision: 3 })])),
    },
  ],
  unreachable,
});

describe('status at a glance', () => {
  it('a deploy id is referred to by its 4 random characters', () => {
    assert.equal(shortDeployRef(ID), '3fa2');
    assert.equal(shortDeployRef('20261125T143001Z-beef'), 'beef');
    assert.equal(shortDeployRef('made-by-hand-123456'), '123456');
    assert.equal(shortDeployRef(undefined), '-');
  });

  it('fits 6 clusters in 120 columns: short cells, names over two lines, a legend under it', () => {
    const all = Object.fromEntries(SIX.map((c) => [c, cell()]));
    const text = renderStatus(matrix({ ...all, 'prod-asia-east1': undefined }));
    const lines = text.split('\n');
    assert.ok(
      lines.every((line) => line.length <= 120),
      text,
    );
    assert.deepEqual(lines.slice(0, 4), [
      '                         dev-           dev-            staging-     prod-         prod-        prod-',
      'RELEASE          CHART   us-central1-0  europe-west1-0  us-central1  europe-west1  us-central1  asia-east1',
      'graphql.graphql  1.12.3  r12 ✓ 3fa2     r12 ✓ 3fa2      r12 ✓ 3fa2   r12 ✓ 3fa2    r12 ✓ 3fa2   -',
      'shop.shop        0.4.0   r3 ✓ 3fa2      r3 ✓ 3fa2       r3 ✓ 3fa2    r3 ✓ 3fa2     r3 ✓ 3fa2    r3 ✓ 3fa2',
    ]);
    assert.equal(lines.slice(4).join('\n'), STATUS_LEGEND);
  });

  it('keeps names on one line when they fit', () => {
    const text = renderStatus(matrix({}), { columns: 200 });
    assert.match(text.split('\n')[0]!, /^RELEASE +CHART +dev-us-central1-0 +dev-europe-west1-0/);
  });

  it('marks what a deploy did not conclude, failed or left pending, and says what to do under the table', () => {
    const text = renderStatus(
      matrix(
        {
          'dev-us-central1-0': cell({ verdict: 'undecided' }),
          'dev-europe-west1-0': cell({ status: 'failed', verdict: 'failed' }),
          'staging-us-central1': cell({ status: 'pending-upgrade', verdict: 'undecided' }),
          'prod-europe-west1': cell({ status: 'uninstalling' }),
        },
        { 'prod-asia-east1': 'connect ECONNREFUSED' },
      ),
    );
    const row = text.split('\n')[2]!;
    assert.match(
      row,
      /^graphql\.graphql +1\.12\.3 +r12 \? 3fa2 +r12 ✗ 3fa2 +r12 ~ 3fa2 +r12 ! 3fa2 +- +unreachable$/,
    );
    assert.match(
      text,
      /^prod-asia-east1 did not answer \(connect ECONNREFUSED\): what it runs is not known$/m,
    );
    assert.match(
      text,
      /^graphql\.graphql in staging-us-central1 is pending-upgrade \(revision 12\): .*regatta recover graphql\.graphql/m,
    );
  });

  it('names a chart version in a cell only where it is not the one most clusters run', () => {
    const all = Object.fromEntries(SIX.map((c) => [c, cell()]));
    const text = renderStatus(
      matrix({
        ...all,
        'prod-asia-east1': cell({ chartVersion: '1.13.0', revision: 13, verdict: 'undecided' }),
      }),
    );
    assert.match(text.split('\n')[2]!, /^graphql\.graphql +1\.12\.3 +r12 ✓ 3fa2 .* 1\.13\.0 r13 \? 3fa2$/);
  });

  it('--wide: one row per release × cluster with the Helm status, the verdict and the whole deploy id', () => {
    const text = renderStatus(matrix({ 'dev-us-central1-0': cell({ verdict: 'undecided' }) }), {
      wide: true,
    });
    const lines = text.split('\n');
    assert.match(lines[0]!, /^RELEASE +CLUSTER +CHART +REVISION +STATUS +VERDICT +DEPLOY$/);
    assert.match(
      lines[1]!,
      new RegExp(`^graphql\\.graphql +dev-us-central1-0 +1\\.12\\.3 +12 +deployed +undecided +\\? +${ID}$`),
    );
    assert.match(lines[2]!, /^graphql\.graphql +dev-europe-west1-0 +- +- +not installed$/);
    assert.equal(lines.length, 1 + 12);
  });

  it('colours the cells only when asked to, and keeps the columns aligned', () => {
    const painted = renderStatus(matrix({ 'dev-us-central1-0': cell({ status: 'failed' }) }), {
      paint: colours,
    });
    // eslint-disable-next-line no-control-regex
    assert.match(painted, /\u001b\[31mr12 ✗ 3fa2\u001b\[39m/);
    // eslint-disable-next-line no-control-regex
    const stripped = painted.replace(/\u001b\[\d+m/g, '');
    assert.equal(stripped, renderStatus(matrix({ 'dev-us-central1-0': cell({ status: 'failed' }) })));
  });
});
