import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { listHelmRevisions } from '../../src/adapters/helm-storage.js';
import { regatta } from '../integration/support/sandbox.js';
import {
  contexts,
  faultFleet,
  figure,
  fleetState,
  kubeconfig,
  repeat,
  sandbox,
  webChart,
  webRelease,
} from './support.js';

describe('fault: a release left pending-upgrade by a killed helm', () => {
  const { fleet } = faultFleet();
  const runs = repeat(2);

  it(`is recovered by the next deploy, which says so (${runs} runs)`, async () => {
    let held = 0;
    const failures: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const name = `fault-pending-${run}`;
      const first = await regatta(
        ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:old')],
        sandbox.env,
      );
      assert.equal(first.exitCode, 0, first.stderr);
      // A helm upgrade of our own, killed with SIGKILL while it waits: its revision stays pending.
      const context = contexts[1]!;
      const helm = spawn(
        join(sandbox.dir, 'bin', 'helm'),
        [
          'upgrade',
          name,
          webChart,
          '-n',
          name,
          '--set',
          'image=registry.example/web:x-broken',
          '--wait',
          '--timeout',
          '60s',
          '--kube-context',
          context,
        ],
        { env: sandbox.env, stdio: 'ignore' },
      );
      const target = { kubeconfig, context };
      for (let i = 0; i < 100; i++) {
        if (
          (await listHelmRevisions(target, { namespace: name, release: name })).at(-1)?.status ===
          'pending-upgrade'
        )
          break;
        await sleep(100);
      }
      helm.kill('SIGKILL');
      await new Promise((resolve) => helm.on('exit', resolve));
      const stuck = (await listHelmRevisions(target, { namespace: name, release: name })).at(-1)?.status;
      const result = await regatta(
        ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:new')],
        sandbox.env,
      );
      const states = await fleetState(name);
      const ok =
        stuck === 'pending-upgrade' &&
        result.exitCode === 0 &&
        /recovered: revision \d+ was pending-upgrade/.test(result.stderr + result.stdout) &&
        states.every(
          (s) => s.image === 'registry.example/web:new' && s.healthy && s.helmStatus === 'deployed',
        );
      if (ok) held++;
      else
        failures.push(
          `run ${run}: stuck ${stuck}; exit ${result.exitCode}; ${JSON.stringify(states)}\n${result.stderr.slice(-1200)}`,
        );
    }
    assert.ok(figure('pending-upgrade left by a killed helm', held, runs), failures.join('\n\n'));
  });
});
