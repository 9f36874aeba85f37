import { Command, Option } from 'commander';
import { repositoryRoot } from '../adapters/git.js';
import { findFleetFile, loadFleet } from '../config/fleet.js';
import { discoverCharts } from '../charts/discover.js';
import { buildChartGraph } from '../charts/graph.js';
import { runChartRelease, type ChartReleasePlan } from '../charts/release.js';
import type { BumpLevel } from '../charts/bump.js';
import { streamProgress } from '../report/progress.js';
import { renderTable } from '../report/table.js';
import { helmBinary } from './common.js';
import type { CommandResult } from './result.js';

function renderRelease(result: ChartReleasePlan & { pushed?: string[] }, dryRun: boolean): string {
  const lines = [
    `branch ${result.branch} → environment ${result.environment}; changes since ${result.base}: ${result.changed.join(', ') || 'none'}`,
  ];
  if (result.plan.bumps.length === 0) return [...lines, 'nothing to release'].join('\n');
  lines.push(
    renderTable(
      ['CHART', 'PATH', 'FROM', 'TO', 'WHY'],
      result.plan.bumps.map((b) => [b.chart, b.path, b.from, b.to, b.reason]),
    ),
  );
  for (const update of result.plan.dependencyUpdates) {
    lines.push(`${update.parent}: requires ${update.dependency} ${update.to} (was ${update.from})`);
  }
  lines.push(`rendered and linted for: ${result.clusters.join(', ') || 'no clusters'}`);
  lines.push(dryRun ? 'dry run: nothing changed' : `pushed: ${result.pushed?.join(', ')}`);
  return lines.join('\n');
}

export function chartCommand(done: (result: CommandResult) => void): Command {
  const chart = new Command('chart').description(
    'the chart pipeline: bump changed charts and their parents, lint, publish',
  );

  chart
    .command('graph')
    .description("the repository's charts and the local charts each depends on")
    .action(async () => {
      const charts = discoverCharts(await repositoryRoot(process.cwd()));
      const graph = buildChartGraph(charts);
      done({
        stdout: renderTable(
          ['CHART', 'VERSION', 'PATH', 'DEPENDS ON'],
          charts.map((c) => [c.name, c.version, c.path, (graph.get(c.name) ?? []).join(', ') || '-']),
        ),
      });
    });

  chart
    .command('release')
    .description(
      'bump what changed since --base (and its parents), lint, render per cluster, push to the environment repository',
    )
    .option('--fleet <file>', 'fleet file (default: ./regatta.yaml)')
    .option('--base <ref>', "default: the merge base with the environment's branch")
    .option('--branch <name>', 'default: the current branch')
    .addOption(
      new Option('--bump <level>', 'version part to bump')
        .choices(['patch', 'minor', 'major'])
        .default('patch'),
    )
    .option('--dry-run', 'print the plan, change nothing')
    .option('--force', 'replace versions that already exist in the repository')
    .option('--commit', 'commit the new versions')
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(
      async (options: {
        fleet?: string;
        base?: string;
        branch?: string;
        bump: BumpLevel;
        dryRun?: boolean;
        force?: boolean;
        commit?: boolean;
        output: string;
      }) => {
        const fleet = loadFleet(findFleetFile(options.fleet, process.cwd()));
        const result = await runChartRelease({
          cwd: process.cwd(),
          fleet,
          helm: await helmBinary(),
          base: options.base,
          branch: options.branch,
          level: options.bump,
          dryRun: !!options.dryRun,
          force: !!options.force,
          commit: !!options.commit,
          progress: streamProgress(),
        });
        done({
          stdout:
            options.output === 'json'
              ? JSON.stringify(result, null, 2)
              : renderRelease(result, !!options.dryRun),
        });
      },
    );

  return chart;
}
