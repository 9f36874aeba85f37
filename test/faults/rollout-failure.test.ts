import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { regatta } from '../integration/support/sandbox.js';
import { faultFleet, figure, fleetState, repeat, sandbox, webRelease } from './support.js';

describe('fault: a rollout failing in 1 of 3 clusters', () => {
  const { fleet, broken } = faultFleet('dev-asia-east1-0');
  const runs = repeat(20);

  it(`exits 1 every time, leaves no cluster on the new release, all healthy (${runs} runs)`, async () => {
    const good = webRelease(fleet.dir, 'fault-rollout', 'registry.example/web:good');
    const first = await regatta(['deploy', '--fleet', fleet.file, good], sandbox.env);
    assert.equal(first.exitCode, 0, first.stderr);
    let held = 0;
    const failures: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const release = webRelease(fleet.dir, 'fault-rollout', `registry.example/web:bad-${run}`);
      const result = await regatta(['deploy', '--fleet', broken.file, release], sandbox.env);
      const states = await fleetState('fault-rollout');
      const onNew = states.filter((s) => s.image?.startsWith(`registry.example/web:bad-${run}`));
      const ok =
        result.exitCode === 1 &&
        onNew.length === 0 &&
        states.every(
          (s) => s.healthy && s.image === 'registry.example/web:good' && s.helmStatus === 'deployed',
        );
      if (ok) held++;
      else
        failures.push(
          `run ${run}: exit ${result.exitCode}; ${JSON.stringify(states)}; ${result.stderr
            .split('\n')
            .filter((l) => /FAILED|error/.test(l))
            .join(' | ')}`,
        );
    }
    assert.ok(figure('rollout failing in 1 of 3 clusters', held, runs), failures.join('\n'));
  });
});
