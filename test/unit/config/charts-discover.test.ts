import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { discoverCharts } from '../../../src/charts/discover.js';
import { UserError } from '../../../src/errors.js';

function repoWith(charts: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'regatta-discover-'));
  for (const [path, chartYaml] of Object.entries(charts)) {
    mkdirSync(join(root, path), { recursive: true });
    writeFileSync(join(root, path, 'Chart.yaml'), chartYaml);
  }
  return root;
}

describe('chart discovery', () => {
  it('finds every chart folder, leaving vendored subcharts to their parent', () => {
    const root = repoWith({
      'charts/app': 'apiVersion: v2\nname: app\nversion: 1.0.0\n',
      'charts/app/charts/sub': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
      'platform/db': 'apiVersion: v2\nname: db\nversion: 2.0.0\n',
    });
    const charts = discoverCharts(root);
    assert.deepEqual(
      charts.map((c) => [c.name, c.path, c.vendored]),
      [
        ['app', 'charts/app', ['sub']],
        ['db', 'platform/db', []],
      ],
    );
  });

  it('refuses a Chart.yaml without version, and a version that is not semver, at its position', () => {
    assert.throws(
      () => discoverCharts(repoWith({ a: 'apiVersion: v2\nname: a\n' })),
      (e: unknown) =>
        e instanceof UserError && e.message === 'chart a has no version' && e.position?.line === 1,
    );
    assert.throws(
      () => discoverCharts(repoWith({ b: 'apiVersion: v2\nname: b\nversion: 1.0\n' })),
      (e: unknown) =>
        e instanceof UserError &&
        e.message === 'chart b: version 1.0 is not semver' &&
        e.position?.line === 3,
    );
  });
});
