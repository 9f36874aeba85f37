import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Namespaces } from '../../../src/deploy/namespaces.js';
import type { Cluster } from '../../../src/model/fleet.js';

const cluster = (name: string) => ({ name, context: name }) as Cluster;

describe('namespaces made sure of once per run', () => {
  it('asks once per cluster and namespace, however many releases and callers (the lock, then the installs)', async () => {
    const asked: string[] = [];
    const namespaces = new Namespaces(async (c, namespace, options) => {
      asked.push(`${c.name}/${namespace}${options.missing ? ' (missing)' : ''}`);
    });
    const eu = cluster('eu');
    const us = cluster('us');
    // Two leases refused for a missing namespace at once, and another cluster's install.
    await Promise.all([
      namespaces.ensure(eu, 'web', { missing: true }),
      namespaces.ensure(eu, 'web', { missing: true }),
      namespaces.ensure(us, 'web'),
    ]);
    await namespaces.ensure(eu, 'web'); // an install after the lock
    await namespaces.ensure(eu, 'api');
    assert.deepEqual(asked.sort(), ['eu/api', 'eu/web (missing)', 'us/web']);
  });

  it('a namespace something was just written in is not asked for', async () => {
    const asked: string[] = [];
    const namespaces = new Namespaces(async (c, namespace) => {
      asked.push(`${c.name}/${namespace}`);
    });
    namespaces.exists(cluster('eu'), 'web'); // a lease was created in it
    await namespaces.ensure(cluster('eu'), 'web');
    await namespaces.ensure(cluster('us'), 'web');
    assert.deepEqual(asked, ['us/web']);
  });

  it('a namespace forgotten (deleted since this run saw it) is asked for again', async () => {
    let asked = 0;
    const namespaces = new Namespaces(async () => {
      asked++;
    });
    await namespaces.ensure(cluster('eu'), 'web', { missing: true });
    namespaces.forget(cluster('eu'), 'web');
    await namespaces.ensure(cluster('eu'), 'web', { missing: true });
    assert.equal(asked, 2);
  });

  it('a namespace that cannot be made fails every caller, and is not asked for again', async () => {
    let asked = 0;
    const namespaces = new Namespaces(async () => {
      asked++;
      throw new Error('cannot create namespace web: forbidden');
    });
    await assert.rejects(namespaces.ensure(cluster('eu'), 'web'), /forbidden/);
    await assert.rejects(namespaces.ensure(cluster('eu'), 'web'), /forbidden/);
    assert.equal(asked, 1, 'not a transient error: asked once');
  });
});
