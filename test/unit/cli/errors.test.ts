import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeployError, RollbackError, UserError } from '../../../src/errors.js';
import { renderError } from '../../../src/report/errors.js';
import { renderExports } from '../../../src/report/sandbox.js';
import { main } from '../../../src/cli/main.js';

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
});

describe('shell exports', () => {
  it('single-quotes values so any path survives eval', () => {
    assert.equal(renderExports({ A: "/tmp/it's here" }), `export A='/tmp/it'\\''s here'`);
  });
});
