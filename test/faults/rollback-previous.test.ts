import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployJson, regatta } from '../integration/support/sandbox.js';
import { faultFleet, figure, fleetState, repeat, sandbox, webRelease } from './support.js';

describe('fault: good, failed, good, then rollback --previous', () => {
  const { fleet, broken } = faultFleet('dev-europe-west1-0');
  const runs = repeat(2);

  it(`goes back to the first good deploy everywhere, never to the failed one (${runs} runs)`, async () => {
    let held = 0;
    const failures: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const name = `fault-previous-${run}`;
      const deploy = async (image: string, file = fleet.file) => {
        const result = await regatta(
          ['deploy', '--fleet', file, webRelease(fleet.dir, name, image), '--output', 'json'],
          sandbox.env,
        );
        return {
          exitCode: result.exitCode,
          id: deployJson<{ deployId?: string }>(result.stdout).deployId,
        };
      };
      const d1 = await deploy('registry.example/web:d1');
      const d2 = await deploy('registry.example/web:d2', broken.file);
      const d3 = await deploy('registry.example/web:d3');
      const back = await regatta(
        [
          'rollback',
          `${name}.${name}`,
          '--fleet',
          fleet.file,
          '--env',
          'dev',
          '--previous',
          '--output',
          'json',
        ],
        sandbox.env,
      );
      const states = await fleetState(name);
      const ok =
        d1.exitCode === 0 &&
        d2.exitCode === 1 &&
        d3.exitCode === 0 &&
        back.exitCode === 0 &&
        (JSON.parse(back.stdout || '{}') as { deployId?: string }).deployId === d1.id &&
        states.every((s) => s.image === 'registry.example/web:d1' && s.healthy);
      if (ok) held++;
      else
        failures.push(
          `run ${run}: ${JSON.stringify({ d1, d2, d3, back: back.exitCode, stderr: back.stderr, states })}`,
        );
      // The failed deploy is refused as a --to target, and history says it failed.
      const refused = await regatta(
        ['rollback', `${name}.${name}`, '--fleet', fleet.file, '--env', 'dev', '--to', d2.id!],
        sandbox.env,
      );
      assert.equal(refused.exitCode, 2, refused.stderr);
      assert.match(refused.stderr, /failed: refusing to roll back to it .*--force/);
      const history = await regatta(
        ['history', `${name}`, '--fleet', fleet.file, '--env', 'dev'],
        sandbox.env,
      );
      assert.match(history.stdout, new RegExp(`${d2.id} +FAILED, rolled back`));
    }
    assert.ok(figure('good / failed / good, then rollback --previous', held, runs), failures.join('\n'));
  });
});
