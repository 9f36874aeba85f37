import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeployEvent, TargetState } from '../../../src/model/events.js';
import { CTRL_C_HINT, renderLiveFrame } from '../../../src/report/live-frame.js';
import { replay } from '../../../src/report/live-state.js';
import { colours } from '../../../src/report/style.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const target = (
  seconds: number,
  release: string,
  cluster: string,
  wave: string,
  state: TargetState,
  detail?: string,
): DeployEvent => ({
  type: 'target',
  at: at(seconds),
  release,
  cluster,
  wave,
  state,
  ...(detail ? { detail } : {}),
});

const twoWaves: DeployEvent[] = [
  {
    type: 'deploy',
    at: at(0),
    deployId: '20261125T100000Z-3fa2',
    waves: [
      { name: 'canary', clusters: ['prod-europe-west1'] },
      { name: 'rest', clusters: ['prod-us-central1', 'prod-asia-east1'] },
    ],
    releases: ['web.default', 'api.default'],
  },
  ...['web.default', 'api.default'].flatMap((r) => [
    target(0, r, 'prod-europe-west1', 'canary', 'waiting'),
    target(0, r, 'prod-us-central1', 'rest', 'waiting'),
    target(0, r, 'prod-asia-east1', 'rest', 'waiting'),
  ]),
  { type: 'wave', at: at(1), wave: 'canary', state: 'started' },
  target(1, 'web.default', 'prod-europe-west1', 'canary', 'deploying', 'upgrading web 1.2.0'),
  target(1, 'api.default', 'prod-europe-west1', 'canary', 'deploying', 'upgrading api 0.3.0'),
  target(20, 'web.default', 'prod-europe-west1', 'canary', 'rolling-out', '2/3 ready'),
  target(43, 'web.default', 'prod-europe-west1', 'canary', 'healthy', 'deployed revision 4'),
  target(50, 'web.default', 'prod-europe-west1', 'canary', 'soaking'),
  { type: 'gate', at: at(50), wave: 'canary', gate: 'soak', state: 'waiting', detail: 'soak 0:00 of 2:00' },
];

describe('the live view: events → frame', () => {
  it('groups clusters by wave, one row per release, each cell a state with its time, the gate and the hint', () => {
    const frame = renderLiveFrame(replay(twoWaves), { now: new Date(T0 + 130_000) });
    assert.equal(
      frame,
      [
        'deploy 20261125T100000Z-3fa2  2:10',
        '             canary ──────────  │  rest ────────────────────────────',
        'RELEASE      prod-europe-west1  │  prod-us-central1  prod-asia-east1',
        'web.default  soaking 1:20       │  waiting           waiting',
        'api.default  deploying 2:09     │  waiting           waiting',
        'wave canary waits on its soak gate: soak 0:00 of 2:00 (1:20)',
        CTRL_C_HINT,
      ].join('\n'),
    );
  });

  it('shows rolling out with its ready count, and a finished target with the time it took', () => {
    const events = twoWaves.slice(0, twoWaves.length - 3); // up to rolling-out
    const rolling = renderLiveFrame(replay(events), { now: new Date(T0 + 30_000) });
    assert.match(rolling, /web\.default +rolling out 2\/3 0:29 /);
    const healthy = renderLiveFrame(replay(twoWaves.slice(0, -2)), { now: new Date(T0 + 300_000) });
    assert.match(healthy, /web\.default +healthy 0:42 /);
  });

  it('keeps why a target failed under the matrix while it rolls back, and drops the hint once it ended', () => {
    const failing: DeployEvent[] = [
      ...twoWaves.slice(0, 12),
      target(30, 'api.default', 'prod-europe-west1', 'canary', 'failed', 'timed out waiting for api (29.0s)'),
      target(31, 'web.default', 'prod-europe-west1', 'canary', 'rolling-back', 'rolling back to revision 3'),
      target(31, 'api.default', 'prod-europe-west1', 'canary', 'rolling-back', 'rolling back to revision 7'),
      target(38, 'api.default', 'prod-europe-west1', 'canary', 'rolled-back', 'back on revision 7'),
      { type: 'wave', at: at(38), wave: 'canary', state: 'failed' },
    ];
    const frame = renderLiveFrame(replay(failing), { now: new Date(T0 + 40_000), hint: false });
    const lines = frame.split('\n');
    assert.match(lines[1]!, /canary ✗/);
    assert.match(lines[3]!, /^web\.default +rolling back 0:09 /);
    assert.match(lines[4]!, /^api\.default +rolled back 0:07 /);
    assert.equal(lines[5], 'prod-europe-west1 api.default: timed out waiting for api (29.0s)');
    assert.ok(!frame.includes(CTRL_C_HINT));
  });

  it('without a deploy event (no waves yet), places clusters by the wave their events name', () => {
    const frame = renderLiveFrame(
      replay([
        target(0, 'web.default', 'dev-a', 'all', 'waiting'),
        target(0, 'web.default', 'dev-b', 'all', 'unchanged'),
      ]),
      { now: new Date(T0) },
    );
    assert.equal(frame.split('\n')[0], 'deploy  0:00', 'no deploy event: no id yet');
    assert.equal(frame.split('\n')[1], '             all ──────────────');
    assert.equal(frame.split('\n')[3], 'web.default  waiting  unchanged');
  });

  it('shortens cluster names, not cells, to fit a narrow terminal', () => {
    const frame = renderLiveFrame(replay(twoWaves), { now: new Date(T0 + 130_000), columns: 60 });
    const header = frame.split('\n')[2]!;
    assert.equal(header, 'RELEASE      prod-europe-w…  │  prod-us…  prod-as…');
    assert.ok(
      frame
        .split('\n')
        .slice(1, 5)
        .every((line) => line.length <= 60),
      frame,
    );
    assert.match(frame, /soaking 1:20/);
  });

  it('paints states only when asked to', () => {
    const frame = renderLiveFrame(replay(twoWaves), { now: new Date(T0), paint: colours });
    // eslint-disable-next-line no-control-regex
    assert.match(frame, /\u001b\[3\dm/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(renderLiveFrame(replay(twoWaves), { now: new Date(T0) }), /\u001b/);
  });
});
