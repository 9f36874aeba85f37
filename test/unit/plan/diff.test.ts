import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestDiff } from '../../../src/plan/diff.js';

const secret = (password: string) => `---
apiVersion: v1
kind: Secret
metadata: { name: app }
data:
  password: ${Buffer.from(password).toString('base64')}
stringData:
  token: ${password}-token
---
apiVersion: v1
kind: ConfigMap
metadata: { name: app }
data: { mode: fast }
`;

describe('manifest diff', () => {
  it('is empty when only formatting and order differ', () => {
    const reordered = secret('one')
      .split('---\n')
      .filter(Boolean)
      .reverse()
      .map((d) => `---\n${d}`)
      .join('');
    assert.equal(manifestDiff('x', secret('one'), reordered, 'ns'), '');
  });

  it('shows changed fields but never Secret data, old or new', () => {
    const live = secret('hunter2-live');
    const planned = secret('hunter2-planned').replace('mode: fast', 'mode: slow');
    const diff = manifestDiff('app.ns@c1', live, planned, 'ns');
    assert.match(diff, /-\s+mode: fast\n\+\s+mode: slow/);
    assert.match(diff, /- {2}password: <redacted>\n\+ {2}password: <redacted, changed>/);
    for (const value of [
      'hunter2',
      Buffer.from('hunter2-live').toString('base64'),
      Buffer.from('hunter2-planned').toString('base64'),
    ]) {
      assert.ok(!diff.includes(value), `diff leaks ${value}`);
    }
  });
});
