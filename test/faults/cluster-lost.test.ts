import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { regatta } from '../integration/support/sandbox.js';
import {
  clusterState,
  contexts,
  faultFleet,
  figure,
  fleetState,
  repeat,
  sandbox,
  startRegatta,
  webRelease,
} from './support.js';

describe('fault: an API server stopped mid-deploy', () => {
  const { fleet, slow } = faultFleet('dev-asia-east1-0');
  const runs = repeat(2);

  it(`exit 3 naming it, the others back on last good; after start-cluster a rerun converges (${runs} runs)`, async () => {
    const lost = contexts[2]!; // dev-asia-east1-0: the last target of each release
    let held = 0;
    const failures: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const name = `fault-lost-${run}`;
      const first = await regatta(
        ['deploy', '--fleet', fleet.file, webRelease(fleet.dir, name, 'registry.example/web:old')],
        sandbox.env,
      );
      assert.equal(first.exitCode, 0, first.stderr);
      const release = webRelease(fleet.dir, name, 'registry.example/web:new');
      // Its rollout there takes 30 s: the API server goes away while helm waits for it.
      const deploy = startRegatta(['deploy', '--fleet', slow.file, release, '--timeout', '90']);
      await deploy.waitFor(/dev-asia-east1-0 \S+: deploying/);
      await regatta(['sandbox', 'stop-cluster', lost, '--dir', sandbox.dir]);
      let code: number | null;
      let others: Awaited<ReturnType<typeof clusterState>>[];
      try {
        code = await deploy.exited;
        others = await Promise.all(contexts.slice(0, 2).map((context) => clusterState(context, name)));
      } finally {
        await regatta(['sandbox', 'start-cluster', lost, '--dir', sandbox.dir]);
      }
      const { stderr } = deploy.output();
      const rerun = await regatta(['deploy', '--fleet', slow.file, release], sandbox.env);
      const after = await fleetState(name);
      const ok =
        code === 3 &&
        new RegExp(
          `dev-asia-east1-0 could not be brought back to last good.*regatta recover ${name}\\.${name} --env dev`,
        ).test(stderr) &&
        others.every((s) => s.image === 'registry.example/web:old' && s.healthy) &&
        rerun.exitCode === 0 &&
        after.every((s) => s.image === 'registry.example/web:new' && s.healthy);
      if (ok) held++;
      else
        failures.push(
          `run ${run}: exit ${code}; others ${JSON.stringify(others)}; rerun ${rerun.exitCode} ${rerun.stderr.slice(-3000)}; after ${JSON.stringify(after)}\n${stderr.slice(-1500)}`,
        );
    }
    assert.ok(figure('API server stopped mid-deploy', held, runs), failures.join('\n\n'));
  });
});
