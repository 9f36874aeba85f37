import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { regatta } from '../integration/support/sandbox.js';
import { faultFleet, figure, fleetState, sandbox, startRegatta, webRelease } from './support.js';

interface Moment {
  name: string;
  /** Stderr that says the moment has come. */
  marker: RegExp;
  delayMs: number;
  /** A deploy that fails (so the signal lands in its rollback). */
  failing?: boolean;
  /** A second signal: stop at once; the next run (`recover`) must clean up and say so. */
  twice?: boolean;
}

const MOMENTS: Moment[] = [
  { name: 'before any helm ran', marker: /release × cluster targets/, delayMs: 0 },
  { name: 'as the first helm starts', marker: /: deploying/, delayMs: 0 },
  { name: 'while the first helm waits for its rollout', marker: /: deploying/, delayMs: 700 },
  { name: 'right after the first cluster deployed', marker: /deployed revision/, delayMs: 0 },
  { name: 'while the second helm runs', marker: /: deploying[\s\S]*: deploying/, delayMs: 300 },
  {
    name: 'right after the second cluster deployed',
    marker: /deployed revision[\s\S]*deployed revision/,
    delayMs: 0,
  },
  { name: 'as the last helm starts', marker: /: deploying[\s\S]*: deploying[\s\S]*: deploying/, delayMs: 0 },
  {
    name: 'as the rollback of a failed deploy starts',
    marker: /goes back to its last good revision/,
    delayMs: 0,
    failing: true,
  },
  {
    name: 'during the rollback of a failed deploy',
    marker: /rolling back to revision/,
    delayMs: 200,
    failing: true,
  },
  { name: 'twice, while helm runs (stop at once)', marker: /: deploying/, delayMs: 500, twice: true },
];

describe('fault: Ctrl-C at 10 moments of a deploy', () => {
  const { fleet, broken } = faultFleet('dev-asia-east1-0');

  it('leaves no cluster on the interrupted release after the run (or after the next run, which says what it recovered)', async () => {
    const name = 'fault-interrupt';
    const first = await regatta(
      ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:old')],
      sandbox.env,
    );
    assert.equal(first.exitCode, 0, first.stderr);
    let held = 0;
    const failures: string[] = [];
    for (const [index, moment] of MOMENTS.entries()) {
      const image = `registry.example/web:new-${index}`;
      const run = startRegatta([
        'deploy',
        '--fleet',
        moment.failing ? broken.file : fleet.file,
        webRelease(fleet.dir, name, image),
        ...(moment.failing ? [] : ['--concurrency', '1']),
      ]);
      const reached = await run.waitFor(moment.marker);
      if (reached) {
        await sleep(moment.delayMs);
        run.child.kill('SIGINT');
        if (moment.twice) {
          await sleep(200);
          run.child.kill('SIGINT');
        }
      }
      const code = await run.exited;
      let recovered = '';
      if (moment.twice) {
        const next = await regatta(
          ['recover', `${name}.${name}`, '--fleet', fleet.file, '--env', 'dev'],
          sandbox.env,
        );
        recovered = next.stdout + next.stderr;
        if (next.exitCode !== 0)
          failures.push(`${moment.name}: recover exited ${next.exitCode}: ${recovered}`);
      }
      const states = await fleetState(name);
      const allOld = states.every(
        (s) => s.image === 'registry.example/web:old' && s.healthy && s.helmStatus === 'deployed',
      );
      const allNew = states.every((s) => s.image === image && s.healthy);
      const expectedExit = moment.twice ? [130] : moment.failing ? [1, 130] : [130];
      const ok =
        reached &&
        (allOld || (allNew && code === 0 && !moment.failing)) &&
        (allNew || expectedExit.includes(code ?? -1)) &&
        (!moment.twice || /recovered|rolled-back|uninstalled|nothing to do/.test(recovered));
      if (ok) held++;
      else
        failures.push(
          `${moment.name}: reached ${reached}, exit ${code}; ${JSON.stringify(states)}\n${run.output().stderr.slice(-1500)}\n${recovered}`,
        );
      // Every run starts from the old release everywhere.
      if (!allOld)
        await regatta(
          ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:old')],
          sandbox.env,
        );
    }
    assert.ok(figure('Ctrl-C at 10 moments', held, MOMENTS.length), failures.join('\n\n'));
  });
});
