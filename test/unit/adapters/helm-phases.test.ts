import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  helmPhases,
  isHelmDebugLine,
  LineClock,
  postRenderSeconds,
  withoutDebugLog,
  type TimedLine,
} from '../../../src/adapters/helm-phases.js';

// Lines as Helm 4.1 and Helm 3 print them with --debug (captured from real runs), with the time
// (ms since the run started) each one arrived.
const helm4Upgrade: TimedLine[] = [
  [40, 'level=DEBUG msg="getting history for release" release=w1'],
  [60, 'level=DEBUG msg="preparing upgrade" name=w1'],
  [
    100,
    'level=DEBUG msg="executing plugin command" pluginName=regatta-scale command="/x/regatta-scale/post-render []"',
  ],
  [
    130,
    'level=DEBUG msg="determined release apply method" server_side_apply=true previous_release_apply_method=ssa',
  ],
  [150, 'level=DEBUG msg="performing update" name=w1'],
  [180, 'level=DEBUG msg="Patched resource" namespace=hx name=w1 gvk="apps/v1, Kind=Deployment"'],
  [200, 'level=DEBUG msg="waiting for resources" count=2 timeout=5m0s'],
  [
    300,
    'level=DEBUG msg="waiting for resource" namespace=hx name=w1 kind=Deployment expectedStatus=Current actualStatus=Unknown',
  ],
  [
    900,
    'level=DEBUG msg="waiting for resource" namespace=hx name=w1 kind=Deployment expectedStatus=Current actualStatus=InProgress',
  ],
  [1700, 'level=DEBUG msg="all resources achieved desired status" desiredStatus=Current resourceCount=2'],
  [1750, 'level=DEBUG msg="updating status for upgraded release" name=w1'],
].map(([at, text]) => ({ at: at as number, text: text as string }));

const helm3Upgrade: TimedLine[] = [
  [
    120,
    'history.go:56: 2026-12-03 13:31:21.975242918 +0000 UTC m=+0.125034578 [debug] getting history for release e1',
  ],
  [
    470,
    'upgrade.go:172: 2026-12-03 13:31:22.317646244 +0000 UTC m=+0.467437937 [debug] performing update for e1',
  ],
  [
    650,
    'upgrade.go:447: 2026-12-03 13:31:22.651091866 +0000 UTC m=+0.800883537 [debug] waiting for release e1 resources (created: 0 updated: 2  deleted: 0)',
  ],
  [
    651,
    'wait.go:50: 2026-12-03 13:31:22.651211893 +0000 UTC m=+0.801003551 [debug] beginning wait for 2 resources with timeout of 5m0s',
  ],
  [
    720,
    'ready.go:452: 2026-12-03 13:31:22.722682362 +0000 UTC m=+0.872474034 [debug] ReplicaSet is not ready: hx/e1-76784cdc46. observedGeneration (1) does not match spec generation (2).',
  ],
  [
    2651,
    'upgrade.go:180: 2026-12-03 13:31:24.687841062 +0000 UTC m=+2.837632732 [debug] updating status for upgraded release for e1',
  ],
].map(([at, text]) => ({ at: at as number, text: text as string }));

describe('helm phases from --debug lines', () => {
  it('Helm 4: the wait from "waiting for resources" to "all resources achieved"', () => {
    assert.deepEqual(helmPhases(helm4Upgrade, 0, 1800), { upgrade: 0.3, wait: 1.5 });
  });

  it('Helm 3: the wait from "beginning wait" to the next line that is not its progress', () => {
    assert.deepEqual(helmPhases(helm3Upgrade, 0, 2700), { upgrade: 0.7, wait: 2 });
  });

  it('a wait still going when helm exits (it failed or was stopped) lasts to the exit', () => {
    const failed = [
      ...helm4Upgrade.slice(0, 8),
      { at: 1000, text: 'Error: UPGRADE FAILED: resource Deployment/hx/w1 not ready. status: Failed' },
    ];
    assert.deepEqual(helmPhases(failed, 0, 5200), { upgrade: 0.2, wait: 5 });
  });

  it('waits for hooks add up; a run with no wait line is all upgrade', () => {
    const hooks: TimedLine[] = [
      { at: 100, text: 'level=DEBUG msg="waiting for resources" count=1 timeout=5m0s' },
      {
        at: 600,
        text: 'level=DEBUG msg="all resources achieved desired status" desiredStatus=Current resourceCount=1',
      },
      { at: 700, text: 'level=DEBUG msg="waiting for resources" count=2 timeout=5m0s' },
      {
        at: 1700,
        text: 'level=DEBUG msg="all resources achieved desired status" desiredStatus=Current resourceCount=2',
      },
    ];
    assert.deepEqual(helmPhases(hooks, 0, 2000), { upgrade: 0.5, wait: 1.5 });
    assert.deepEqual(helmPhases([], 0, 400), { upgrade: 0.4, wait: 0 });
  });

  it("Helm 3: a wait's progress from ready.go and wait.go, whatever it says, is still the wait", () => {
    const lines: TimedLine[] = [
      {
        at: 100,
        text: 'wait.go:50: 2026-12-03 13:31:22.65 +0000 UTC [debug] beginning wait for 3 resources with timeout of 5m0s',
      },
      {
        at: 300,
        text: 'ready.go:303: 2026-12-03 13:31:22.9 +0000 UTC [debug] Service does not have load balancer ingress IP address: web/lb',
      },
      {
        at: 900,
        text: 'wait.go:66: 2026-12-03 13:31:23.5 +0000 UTC [debug] Retrying as current number of retries 1 less than max number of retries 30',
      },
      {
        at: 1600,
        text: 'upgrade.go:180: 2026-12-03 13:31:24.2 +0000 UTC [debug] updating status for upgraded release for web',
      },
    ];
    assert.deepEqual(helmPhases(lines, 0, 1700), { upgrade: 0.2, wait: 1.5 });
  });

  it('an error without the debug records, a Helm 3 record over several lines (an object, a stack) included', () => {
    const stderr = [
      'history.go:56: 2026-12-03 13:31:21.97 +0000 UTC [debug] getting history for release web',
      "wait.go:48: 2026-12-03 13:31:22 +0000 UTC [debug] Error received when checking status of resource web. Error: 'boom', Resource details: '&Deployment{Env: PASSWORD=hunter2",
      'second-line-of-the-value}',
      "'",
      'Error: UPGRADE FAILED: resource web not ready',
      'helm.go:84: 2026-12-03 13:31:30 +0000 UTC [debug] UPGRADE FAILED: resource web not ready',
      'helm.sh/helm/v3/pkg/action.(*Upgrade).failRelease',
      '\thelm.sh/helm/v3/pkg/action/upgrade.go:508',
      'level=DEBUG msg="updating status for upgraded release" name=web',
    ].join('\n');
    assert.equal(withoutDebugLog(stderr), 'Error: UPGRADE FAILED: resource web not ready');
    const warned = 'coalesce.go:237: warning: skipped value for web.x: Not a table.\nError: boom';
    assert.equal(withoutDebugLog(warned), warned);
  });

  it('tells debug lines from what helm says to a user', () => {
    assert.ok(isHelmDebugLine(helm4Upgrade[0]!.text));
    assert.ok(isHelmDebugLine(helm3Upgrade[0]!.text));
    assert.ok(
      !isHelmDebugLine('Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress'),
    );
    assert.ok(!isHelmDebugLine('failed to load plugins: failed to load plugin at "/x/plugin.yaml"'));
  });

  it("reads the post-renderer's own START END (ns); anything else is no timing", () => {
    assert.equal(postRenderSeconds('1764768000000000000 1764768000012500000\n'), 0.0125);
    assert.equal(postRenderSeconds('1000000000 1250000000\n2000000000 2500000000\n'), 0.75);
    assert.equal(postRenderSeconds('1764768000N 1764768001N\n'), undefined); // a date without %N
    assert.equal(postRenderSeconds('5 3\n'), undefined);
    assert.equal(postRenderSeconds(''), undefined);
  });

  it('stamps each line when its end arrives, across chunks', () => {
    let now = 0;
    const clock = new LineClock(() => now);
    now = 5;
    clock.push('level=DEBUG msg="a"\nlevel=DE');
    now = 9;
    clock.push('BUG msg="b"\nError: x');
    now = 12;
    assert.deepEqual(clock.finish(), [
      { at: 5, text: 'level=DEBUG msg="a"' },
      { at: 9, text: 'level=DEBUG msg="b"' },
      { at: 12, text: 'Error: x' },
    ]);
  });
});
