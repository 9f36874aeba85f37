import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DeployError, RollbackError, UserError } from '../../../src/errors.js';
import { renderError } from '../../../src/report/errors.js';
import { renderExports } from '../../../src/report/sandbox.js';
import { main } from '../../../src/cli/main.js';
import { FLEET, writeFiles } from '../config/support.js';

describe('error rendering', () => {
  it('renders a user error as one line with file:line:col and hint, exit 2', () => {
    const { text, exitCode } = renderError(
      new UserError('unknown environment "qa"', {
        position: { file: 'regatta.yaml', line: 3, col: 5 },
        hint: 'one of dev, prod',
      }),
    );
    assert.equal(text, 'error: regatta.yaml:3:5: unknown environment "qa" (one of dev, prod)');
    assert.equal(exitCode, 2);
  });

  it('maps deploy and rollback failures to exit codes 1 and 3', () => {
    assert.equal(renderError(new DeployError('x')).exitCode, 1);
    assert.equal(renderError(new RollbackError('x')).exitCode, 3);
  });

  it('keeps the stack of internal errors', () => {
    const { text, exitCode } = renderError(new TypeError('boom'));
    assert.match(text, /^internal error: TypeError: boom\n\s+at /);
    assert.notEqual(exitCode, 2);
  });
});

describe('command line', () => {
  it('refuses --clusters 0 and 7 with exit code 2', async () => {
    assert.equal(await main(['sandbox', 'up', '--clusters', '0', '--dir', '/nonexistent/regatta-test']), 2);
    assert.equal(await main(['sandbox', 'up', '--clusters', '7', '--dir', '/nonexistent/regatta-test']), 2);
    assert.equal(await main(['sandbox', 'up', '--clusters', 'three']), 2);
  });

  it('refuses unknown commands with exit code 2', async () => {
    assert.equal(await main(['no-such-command']), 2);
  });

  it('gitops render, bootstrap and deploy check --secrets and --secret-store before reading anything else', async () => {
    const dir = writeFiles({
      'regatta.yaml': FLEET.replace(
        'prod:    { branches: [prod],',
        'prod:    { engine: flux, branches: [prod],',
      ),
    });
    const common = ['--fleet', join(dir, 'regatta.yaml'), '--env', 'prod', join(dir, 'no-such-release.yaml')];
    const repo = ['--repo', 'http://127.0.0.1:1/fleet.git', '--branch', 'prod'];
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (
      stderr.push(String(chunk)),
      true
    )) as typeof process.stderr.write;
    try {
      const out = join(dir, 'out');
      assert.equal(await main(['gitops', 'render', '--out', out, '--secrets', 'sops', ...common]), 2);
      assert.equal(existsSync(out), false, 'nothing written');
      assert.equal(await main(['gitops', 'bootstrap', ...repo, '--secret-store', 'ops', ...common]), 2);
      assert.equal(
        await main([
          'gitops',
          'deploy',
          ...repo,
          '--secrets',
          'external-secrets',
          '--secret-store',
          'A_B',
          ...common,
        ]),
        2,
      );
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(
      stderr.join('').trim().split('\n'),
      [
        'error: --secrets must be vault or external-secrets, not "sops" (vault: Regatta reads Vault and creates the Secrets; external-secrets: the External Secrets Operator of each cluster does)',
        'error: --secret-store names the ClusterSecretStore of --secrets external-secrets (add --secrets external-secrets, or set environments.prod.secrets: external-secrets)',
        'error: --secret-store "A_B" is not a Kubernetes object name (the name of a ClusterSecretStore: lowercase letters, digits, "-" and ".")',
      ],
      'the flag, not the missing release file',
    );
  });
});

describe('shell exports', () => {
  it('single-quotes values so any path survives eval', () => {
    assert.equal(renderExports({ A: "/tmp/it's here" }), `export A='/tmp/it'\\''s here'`);
  });
});
