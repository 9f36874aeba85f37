import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HelmError } from '../../../src/adapters/helm.js';

describe("helm's error messages", () => {
  it('keeps the Error: line and its indented continuation (template, line, cause)', () => {
    const stderr = [
      'Error: tiller/templates/secret.yaml:7:36',
      '  executing "tiller/templates/secret.yaml" at <.Capabilities.TillerVersion.SemVer>:',
      "    can't evaluate field TillerVersion in type interface {}",
      '',
      'Use --debug flag to render out invalid YAML',
    ].join('\n');
    assert.equal(
      HelmError.summary(stderr),
      'tiller/templates/secret.yaml:7:36 executing "tiller/templates/secret.yaml" at <.Capabilities.TillerVersion.SemVer>: can\'t evaluate field TillerVersion in type interface {}',
    );
  });

  it('prefers the last Error: line over log lines that repeat it', () => {
    assert.equal(
      HelmError.summary('level=WARN msg="upgrade failed" error="x"\nError: UPGRADE FAILED: x\n'),
      'UPGRADE FAILED: x',
    );
  });

  it('falls back to the last line', () => {
    assert.equal(HelmError.summary('something\nwent wrong\n'), 'went wrong');
  });
});
