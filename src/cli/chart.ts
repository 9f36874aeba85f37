import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { MAX_MANIFEST_BYTES, readInputText, readStandardInput } from '../config/read-input.js';
import { parseYamlFile } from '../config/yaml-source.js';
import { UserError } from '../errors.js';
import { loadClusterSchemas } from '../charts/cluster-schemas.js';
import { repositoryRoot } from '../adapters/git.js';
import { findFleetFile, loadFleet } from '../config/fleet.js';
import { discoverCharts } from '../charts/discover.js';
import { buildChartGraph } from '../charts/graph.js';
import { renderForCluster, runChartRelease, type ChartReleasePlan } from '../charts/release.js';
import type { BumpLevel } from '../charts/bump.js';
import { streamProgress } from '../report/progress.js';
import { renderTable } from '../report/table.js';
import { helmBinary } from './common.js';
import { HelmError, type HelmBinary } from '../adapters/helm.js';
import type { Cluster } from '../model/fleet.js';
import type { CommandResult } from './result.js';

/** A chart that does not render is the user's to fix: helm's message (template, line), exit 2. */
async function renderChartFolder(helm: HelmBinary, dir: string, cluster: Cluster): Promise<string> {
  try {
    return await renderForCluster(helm, dir, basename(dir), cluster);
  } catch (error) {
    if (error instanceof HelmError)
      throw new UserError(`${dir} for ${cluster.name}: ${error.message}`, { hint: error.hint });
    throw error;
  }
}

/** Rendered manifests from a file or standard input, checked to be YAML (at its line) before use. */
async function readManifests(input: string): Promise<string> {
  const file = input === '-' ? '<stdin>' : resolve(input);
  const text = input === '-' ? await readStandardInput() : readInputText(file, MAX_MANIFEST_BYTES);
  const documents = parseYamlFile(file, text);
  documents.forEach((document) => {
    const value = document.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !('kind' in value)) {
      throw new UserError('not a Kubernetes object (a map with apiVersion and kind)', {
        position: document.positionOf([]),
        hint: 'pass rendered manifests, e.g. the output of helm template, or a chart folder',
      });
    }
  });
  if (documents.length === 0) {
    throw new UserError('no Kubernetes object in it', {
      position: { file, line: 1, col: 1 },
      hint: 'pass rendered manifests, e.g. the output of helm template, or a chart folder',
    });
  }
  return text;
}

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
    .option('--offline', "validate with each cluster's cached schema, without asking its API server")
    .option('--server-dry-run', 'also have each API server dry-run every rendered object')
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
        offline?: boolean;
        serverDryRun?: boolean;
        output: string;
      }) => {
        const fleet = loadFleet(findFleetFile(options.fleet, process.cwd()));
        const result = await runChartRelease({
          cwd: process.cwd(),
          fleet,
          helm: await helmBinary(fleet),
          base: options.base,
          branch: options.branch,
          level: options.bump,
          dryRun: !!options.dryRun,
          force: !!options.force,
          commit: !!options.commit,
          offline: !!options.offline,
          serverDryRun: !!options.serverDryRun,
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

  chart
    .command('validate')
    .description(
      "check rendered manifests (a file, or - for standard input) against every cluster's own schema",
    )
    .argument(
      '<chart-or-manifests>',
      'a chart folder, a YAML file of rendered objects, or - for standard input',
    )
    .requiredOption('--env <env>', 'validate against the clusters of this environment')
    .option('--fleet <file>', 'fleet file (default: ./regatta.yaml)')
    .option('--offline', 'use the cached schemas only')
    .action(async (input: string, options: { env: string; fleet?: string; offline?: boolean }) => {
      const fleet = loadFleet(findFleetFile(options.fleet, process.cwd()));
      if (!fleet.environments[options.env]) {
        throw new UserError(`unknown environment ${options.env}`, {
          position: { file: fleet.file },
          hint: `--env one of ${Object.keys(fleet.environments).join(', ')}`,
        });
      }
      // A chart folder is rendered for each cluster with its globals; a file or stdin is taken as
      // rendered, and parsed before any cluster is asked.
      const isChart = input !== '-' && existsSync(join(input, 'Chart.yaml'));
      const given = isChart ? '' : await readManifests(input);
      const helm = isChart ? await helmBinary(fleet) : undefined;
      const rows: string[][] = [];
      for (const cluster of fleet.clusters.filter((c) => c.env === options.env)) {
        const schemas = await loadClusterSchemas(cluster, process.env, !!options.offline);
        const manifest = helm ? await renderChartFolder(helm, resolve(input), cluster) : given;
        for (const v of schemas.validateManifest(manifest))
          rows.push([cluster.name, v.template || '-', `${v.kind}/${v.name}`, v.field, v.message]);
      }
      if (rows.length === 0) return done({ stdout: 'valid for every cluster' });
      done({ stdout: renderTable(['CLUSTER', 'TEMPLATE', 'OBJECT', 'FIELD', 'PROBLEM'], rows), exitCode: 1 });
    });

  return chart;
}
