import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDigest } from '../../../src/gitops/config-digest.js';
import { clusterValues, expectedConfigDigest } from '../../../src/gitops/render.js';
import { clusters, release, web } from './fixtures.js';

describe('expected config digest of a release × cluster', () => {
  const [us, europe] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];

  it('hashes the HelmRelease inline values over its valuesFrom Secret, as helm-controller composes them', () => {
    const digest = expectedConfigDigest(web, europe, { db_password: 'hunter2' });
    const values = clusterValues(web, europe);
    // The Secret's layer under the inline values: `secrets.other` (not a secret id) stays inline.
    assert.equal(digest, configDigest(values, [{ secrets: { db_password: 'hunter2' } }]));
    assert.notEqual(digest, expectedConfigDigest(web, europe, { db_password: 'other' }));
    assert.notEqual(digest, expectedConfigDigest(web, us, { db_password: 'hunter2' }));
  });

  it('is unknown when the secret values are not read (external-secrets)', () => {
    assert.equal(expectedConfigDigest(web, europe, undefined), undefined);
  });

  it('needs no secrets for a release without any', () => {
    const plain = { ...web, release: release({ secrets: [], values: { image: 'web:2' } }) };
    assert.equal(expectedConfigDigest(plain, us, undefined), configDigest(clusterValues(plain, us)));
  });
});
