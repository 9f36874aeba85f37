import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameTlsMaterial } from '../../../src/adapters/kube.js';

describe('the pooled API connection of a cluster', () => {
  const material = { ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') };

  it('keeps its TLS context while the certificates read for each request are the same bytes', () => {
    const again = { ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') };
    assert.notEqual(again.ca, material.ca);
    assert.equal(sameTlsMaterial(material, again), true);
  });

  it('makes a new one when a client certificate or key changes (an exec plugin rotated it)', () => {
    assert.equal(sameTlsMaterial(material, { ...material, cert: Buffer.from('CERT2') }), false);
    assert.equal(sameTlsMaterial(material, { ...material, key: Buffer.from('KEY2') }), false);
    assert.equal(sameTlsMaterial(material, { ...material, ca: undefined }), false);
  });

  it('compares a list of CAs by its contents', () => {
    const list = { ca: [Buffer.from('A'), Buffer.from('B')] };
    assert.equal(sameTlsMaterial(list, { ca: [Buffer.from('A'), Buffer.from('B')] }), true);
    assert.equal(sameTlsMaterial(list, { ca: [Buffer.from('A')] }), false);
  });
});
