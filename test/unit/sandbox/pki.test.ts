import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  createCertificateAuthority,
  createServiceAccountKeys,
  issueCertificate,
} from '../../../src/sandbox/pki.js';

describe('sandbox certificates', () => {
  const ca = createCertificateAuthority('test-ca');
  const caCert = new X509Certificate(ca.certPem);

  it('makes a self-signed CA', () => {
    assert.equal(caCert.ca, true);
    assert.equal(caCert.subject, 'CN=test-ca');
    assert.ok(caCert.verify(caCert.publicKey));
    assert.ok(caCert.checkPrivateKey(createPrivateKey(ca.keyPem)));
  });

  it('issues a serving certificate for the API server with its names and IPs', () => {
    const serving = issueCertificate(ca, {
      commonName: 'kube-apiserver',
      usage: 'server',
      dnsNames: ['localhost', 'kubernetes.default'],
      ipAddresses: ['127.0.0.1'],
    });
    const cert = new X509Certificate(serving.certPem);
    assert.ok(cert.verify(caCert.publicKey), 'signed by the CA');
    assert.equal(cert.checkIssued(caCert), true);
    assert.equal(cert.ca, false);
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkHost('kubernetes.default'), 'kubernetes.default');
    assert.equal(cert.checkHost('example.com'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']); // serverAuth
    assert.ok(cert.checkPrivateKey(createPrivateKey(serving.keyPem)));
  });

  it('issues an admin client certificate in system:masters', () => {
    const admin = issueCertificate(ca, {
      commonName: 'regatta-admin',
      organizations: ['system:masters'],
      usage: 'client',
    });
    const cert = new X509Certificate(admin.certPem);
    assert.equal(cert.subject, 'CN=regatta-admin\nO=system:masters');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']); // clientAuth
    assert.ok(cert.verify(caCert.publicKey));
  });

  it('gives every certificate its own serial number and key', () => {
    const a = new X509Certificate(issueCertificate(ca, { commonName: 'a', usage: 'client' }).certPem);
    const b = new X509Certificate(issueCertificate(ca, { commonName: 'b', usage: 'client' }).certPem);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.notEqual(
      a.publicKey.export({ format: 'pem', type: 'spki' }),
      b.publicKey.export({ format: 'pem', type: 'spki' }),
    );
  });

  it('makes a matching service-account key pair', () => {
    const keys = createServiceAccountKeys();
    const derived = createPublicKey(createPrivateKey(keys.privatePem)).export({
      format: 'pem',
      type: 'spki',
    });
    assert.equal(derived, keys.publicPem);
  });
});
