import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextVersion, planBumps } from '../../../src/charts/bump.js';
import { changedCharts } from '../../../src/charts/discover.js';
import { buildChartGraph } from '../../../src/charts/graph.js';
import type { LocalChart } from '../../../src/charts/model.js';
import { environmentOfBranch } from '../../../src/charts/release.js';
import { UserError } from '../../../src/errors.js';
import type { Fleet } from '../../../src/model/fleet.js';

function chart(
  name: string,
  version: string,
  path: string,
  dependencies: LocalChart['dependencies'] = [],
): LocalChart {
  return {
    name,
    version,
    path,
    dir: `/repo/${path}`,
    dependencies,
    vendored: [],
    position: { file: `/repo/${path}/Chart.yaml` },
  };
}

const charts = [
  chart('lib', '1.0.0', 'charts/lib'),
  chart('app', '1.2.0', 'charts/app', [{ name: 'lib', version: '1.0.0', repository: 'file://../lib' }]),
  chart('umbrella', '2.0.0', 'charts/umbrella', [
    { name: 'app', version: '1.2.0', repository: 'https://charts.example' },
    { name: 'redis', version: '18.0.0', repository: 'oci://registry-1.docker.io/bitnamicharts' },
  ]),
  chart('other', '0.1.0', 'charts/other'),
];

describe('chart graph', () => {
  it('links file:// paths and same-repository names, and ignores outside charts', () => {
    const graph = buildChartGraph(charts);
    assert.deepEqual(Object.fromEntries(graph), { lib: [], app: ['lib'], umbrella: ['app'], other: [] });
  });

  it('refuses a dependency that exists nowhere', () => {
    const broken = [...charts, chart('lost', '1.0.0', 'charts/lost', [{ name: 'ghost', version: '1.0.0' }])];
    assert.throws(
      () => buildChartGraph(broken),
      (e: unknown) =>
        e instanceof UserError && e.message === 'chart lost depends on ghost, which exists nowhere',
    );
    const badPath = [
      chart('x', '1.0.0', 'charts/x', [{ name: 'y', version: '1.0.0', repository: 'file://../y' }]),
    ];
    assert.throws(() => buildChartGraph(badPath), /at file:\/\/\.\.\/y, where there is no chart/);
  });

  it("accepts a subchart vendored in the chart's own charts/ folder", () => {
    const umbrella = {
      ...chart('shop', '2.3.0', 'shop', [{ name: 'cart', version: '0.4.0' }]),
      vendored: ['cart'],
    };
    assert.deepEqual(buildChartGraph([umbrella]).get('shop'), []);
  });

  it('names a cycle', () => {
    const cyclic = [
      chart('a', '1.0.0', 'a', [{ name: 'b', version: '1.0.0', repository: 'file://../b' }]),
      chart('b', '1.0.0', 'b', [{ name: 'a', version: '1.0.0', repository: 'file://../a' }]),
    ];
    assert.throws(
      () => buildChartGraph(cyclic),
      (e: unknown) => e instanceof UserError && e.message === 'chart dependency cycle: a → b → a',
    );
  });
});

describe('bump plan', () => {
  const graph = buildChartGraph(charts);

  it('bumps changed charts and, transitively, every chart depending on them', () => {
    const plan = planBumps(charts, graph, ['lib'], { level: 'patch' });
    assert.deepEqual(
      plan.bumps.map((b) => [b.chart, b.from, b.to, b.reason]),
      [
        ['app', '1.2.0', '1.2.1', 'depends on lib'],
        ['lib', '1.0.0', '1.0.1', 'changed'],
        ['umbrella', '2.0.0', '2.0.1', 'depends on app'],
      ],
    );
    assert.deepEqual(plan.dependencyUpdates, [
      { parent: 'app', dependency: 'lib', from: '1.0.0', to: '1.0.1' },
      { parent: 'umbrella', dependency: 'app', from: '1.2.0', to: '1.2.1' },
    ]);
  });

  it('on dev, versions carry the branch and commit as a pre-release', () => {
    assert.equal(
      nextVersion('1.4.2', {
        level: 'patch',
        prerelease: { branch: 'feature/my_branch', commit: '1a2b3c4' },
      }),
      '1.4.3-feature-my-branch.1a2b3c4',
    );
    assert.equal(nextVersion('1.4.2', { level: 'minor' }), '1.5.0');
    assert.equal(
      nextVersion('1.4.2', { level: 'patch', prerelease: { branch: 'dev', commit: '01234567' } }),
      '1.4.3-dev.g01234567',
      'an all-digit commit would be a number with a leading zero: no semver',
    );
  });

  it('maps changed files to the chart that owns them (the deepest folder)', () => {
    const nested = [...charts, chart('root', '1.0.0', '.')];
    assert.deepEqual(
      changedCharts(nested, ['charts/lib/values.yaml', 'charts/app/templates/x.yaml', 'README.md']),
      ['app', 'lib', 'root'],
    );
  });
});

describe('environment from the branch', () => {
  const fleet = {
    environments: {
      dev: {
        name: 'dev',
        branches: ['dev', 'feature-*'],
        chartRepository: { url: 'http://x', type: 'chartmuseum', plainHttp: true },
      },
      staging: {
        name: 'staging',
        branches: ['master', 'main'],
        chartRepository: { url: 'oci://x', type: 'oci', plainHttp: true },
      },
    },
  } as unknown as Fleet;
  it('follows environments.*.branches, with * wildcards', () => {
    assert.equal(environmentOfBranch(fleet, 'main').name, 'staging');
    assert.equal(environmentOfBranch(fleet, 'feature-login').name, 'dev');
  });
  it('refuses a branch that feeds no environment', () => {
    assert.throws(
      () => environmentOfBranch(fleet, 'hotfix'),
      (e: unknown) => e instanceof UserError && e.message === 'branch hotfix feeds no environment',
    );
  });
});
