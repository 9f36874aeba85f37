import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { regatta } from '../integration/support/sandbox.js';
import {
  faultFleet,
  figure,
  fleetState,
  repeat,
  sandbox,
  startRegatta,
  webChart,
  webRelease,
} from './support.js';
import { writeRelease } from '../integration/support/fleet.js';

describe('fault: two deploys of one release at once', () => {
  const { fleet, broken } = faultFleet();
  const runs = repeat(10);

  it(`exactly one succeeds and it is what runs everywhere; the other refuses naming the holder (${runs} runs)`, async () => {
    const name = 'fault-twice';
    const first = await regatta(
      ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:0')],
      sandbox.env,
    );
    assert.equal(first.exitCode, 0, first.stderr);
    let held = 0;
    const failures: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const images = [`registry.example/web:a${run}`, `registry.example/web:b${run}`];
      const files = images.map((image, i) =>
        writeRelease(fleet.dir, `${name}-${i}.yaml`, {
          apiVersion: 'regatta/v1',
          kind: 'Release',
          metadata: { name: `${name}.${name}`, environment: 'dev' },
          spec: { chart_name: 'web', chart_path: webChart, values: { image } },
        }),
      );
      const both = files.map((file) => startRegatta(['deploy', '--fleet', fleet.file, file]));
      const codes = await Promise.all(both.map((r) => r.exited));
      const winner = codes.indexOf(0);
      const loser = 1 - winner;
      const states = await fleetState(name);
      const loserSays = winner >= 0 ? both[loser]!.output().stderr : '';
      const ok =
        codes.filter((c) => c === 0).length === 1 &&
        codes[loser] === 4 &&
        /is locked by deploy \S+ by \S+@\S+ \(pid \d+\) since /.test(loserSays) &&
        states.every((s) => s.image === images[winner] && s.healthy);
      if (ok) held++;
      else
        failures.push(
          `run ${run}: exits ${codes.join(', ')}; ${JSON.stringify(states)}\n${both.map((r) => r.output().stderr.slice(-800)).join('\n---\n')}`,
        );
    }
    assert.ok(figure('two deploys of one release at once', held, runs), failures.join('\n\n'));
  });

  it('with --wait-for-lock the second one waits for the first (which fails and rolls back), then deploys', async () => {
    const name = 'fault-wait';
    const release = (image: string, file: string) =>
      writeRelease(fleet.dir, file, {
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: `${name}.${name}`, environment: 'dev' },
        spec: { chart_name: 'web', chart_path: webChart, values: { image } },
      });
    // The first one fails in one cluster: it holds the lock until its rollback is done.
    const a = startRegatta([
      'deploy',
      '--fleet',
      broken.file,
      release('registry.example/web:first', 'wait-a.yaml'),
    ]);
    await a.waitFor(/: deploying/);
    const b = await regatta(
      [
        'deploy',
        '--fleet',
        fleet.file,
        release('registry.example/web:second', 'wait-b.yaml'),
        '--wait-for-lock',
        '2m',
      ],
      sandbox.env,
    );
    assert.equal(await a.exited, 1, a.output().stderr);
    assert.equal(b.exitCode, 0, b.stderr);
    assert.match(b.stderr, /waiting for the lock: .* is held by deploy/);
    const states = await fleetState(name);
    assert.ok(
      states.every((s) => s.image === 'registry.example/web:second'),
      JSON.stringify(states),
    );
  });
});
