import { Command, InvalidArgumentError, Option } from 'commander';
import { streamProgress } from '../report/progress.js';
import {
  renderClusters,
  renderComponentStatus,
  renderExports,
  renderLink,
  renderLinks,
} from '../report/sandbox.js';
import { renderTable } from '../report/table.js';
import { resolveLatencyProfile } from '../sandbox/latency.js';
import { DEFAULT_CLUSTERS, defaultSandboxDir } from '../sandbox/layout.js';
import { applyFault, linkStatuses } from '../sandbox/network.js';
import {
  describeClusters,
  prepareBinaries,
  sandboxDown,
  sandboxEnvironment,
  sandboxStatus,
  sandboxUp,
  startCluster,
  stopCluster,
  validateClusterCount,
} from '../sandbox/sandbox.js';
import { parseFault } from '../sandbox/toxics.js';
import type { CommandResult } from './result.js';

function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return count;
}

const dirOption = () =>
  new Option(
    '--dir <dir>',
    'sandbox folder (default: $REGATTA_SANDBOX_DIR or ~/.local/state/regatta/sandbox)',
  );

function dirOf(options: { dir?: string }): string {
  return options.dir ?? defaultSandboxDir(process.env);
}

export function sandboxCommand(done: (result: CommandResult) => void): Command {
  const sandbox = new Command('sandbox').description(
    'a local fleet of real Kubernetes clusters (kwok nodes), OpenBao, ChartMuseum and an OCI registry',
  );

  sandbox
    .command('up')
    .description('start the sandbox and print its clusters')
    .addOption(
      new Option('--clusters <n>', 'number of clusters, 1 to 6')
        .argParser(parseCount)
        .default(DEFAULT_CLUSTERS),
    )
    .addOption(
      new Option(
        '--latency <profile>',
        "round trips between you and each API server: none (default), seed (the seed's fleet from Paris), zero, or a YAML file",
      ),
    )
    .addOption(dirOption())
    .option('--flux', "also run Flux's controllers in every cluster and a git server")
    .action(async (options: { clusters: number; latency?: string; dir?: string; flux?: boolean }) => {
      validateClusterCount(options.clusters);
      const latency = options.latency === undefined ? undefined : resolveLatencyProfile(options.latency);
      const dir = dirOf(options);
      const progress = streamProgress();
      const result = await sandboxUp({
        dir,
        clusters: options.clusters,
        latency,
        latencyGiven: options.latency !== undefined,
        env: process.env,
        progress,
        flux: options.flux,
      });
      if (result.alreadyRunning) progress.line(`a sandbox is already running in ${dir}`);
      else progress.line(`sandbox up in ${result.seconds.toFixed(1)}s (${dir})`);
      const clusters = await describeClusters(dir);
      done({
        stdout: `${renderClusters(clusters)}\n\nUse it from a shell: eval "$(regatta sandbox env${options.dir ? ` --dir ${dir}` : ''})"`,
      });
    });

  sandbox
    .command('prepare')
    .description('build or extract every sandbox binary into the cache (up does this too)')
    .option('--flux', "also Flux's controllers (for up --flux)")
    .action(async (options: { flux?: boolean }) => {
      const binaries = await prepareBinaries(process.env, streamProgress(), { flux: options.flux });
      done({
        stdout: renderTable(
          ['BINARY', 'FROM', 'PATH'],
          binaries.map((b) => [b.name, b.origin, b.path]),
        ),
      });
    });

  sandbox
    .command('down')
    .description('stop every process the sandbox started')
    .addOption(dirOption())
    .action(async (options: { dir?: string }) => {
      const stopped = await sandboxDown(dirOf(options));
      done({ stdout: stopped ? `stopped ${stopped} processes` : 'no sandbox processes running' });
    });

  sandbox
    .command('status')
    .description('each component up or down; exits 0 only when all are up')
    .addOption(dirOption())
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (options: { dir?: string; output: string }) => {
      const { state, components } = await sandboxStatus(dirOf(options));
      const allUp = components.every((component) => component.up);
      const links = linkStatuses(state);
      const stdout =
        options.output === 'json'
          ? JSON.stringify(
              { up: allUp, components, ...(state.network ? { latency: state.network.profile, links } : {}) },
              null,
              2,
            )
          : [
              renderComponentStatus(components),
              ...(state.network ? [renderLinks(state.network.profile, links)] : []),
            ].join('\n\n');
      done({ stdout, exitCode: allUp ? 0 : 1 });
    });

  sandbox
    .command('env')
    .description('print shell exports: eval "$(regatta sandbox env)"')
    .addOption(dirOption())
    .action((options: { dir?: string }) => {
      done({ stdout: renderExports(sandboxEnvironment(dirOf(options), process.env)) });
    });

  sandbox
    .command('stop-cluster')
    .description("take one cluster's API server down (its data stays)")
    .argument('<name>', 'cluster (context) name')
    .addOption(dirOption())
    .action(async (name: string, options: { dir?: string }) => {
      await stopCluster(dirOf(options), name);
      done({ stdout: `${name}: API server stopped` });
    });

  sandbox
    .command('start-cluster')
    .description("bring a stopped cluster's API server back")
    .argument('<name>', 'cluster (context) name')
    .addOption(dirOption())
    .action(async (name: string, options: { dir?: string }) => {
      await startCluster(dirOf(options), name, streamProgress());
      done({ stdout: `${name}: API server up` });
    });

  sandbox
    .command('fault')
    .description(
      "change one cluster's network through its proxy (needs up --latency): latency <ms> [--jitter ms], timeout [ms], reset [ms], bandwidth <KB/s>, or clear",
    )
    .argument('<cluster>', 'cluster (context) name')
    .argument('<fault>', 'latency | timeout | reset | bandwidth | clear')
    .argument(
      '[value]',
      'latency: round trip in ms; bandwidth: KB/s; timeout: close the swallowed connection after ms (default: never); reset: after ms (default: at once)',
    )
    .addOption(new Option('--jitter <ms>', 'with latency: the round trip varies by this much either way'))
    .addOption(dirOption())
    .action(
      async (
        cluster: string,
        kind: string,
        value: string | undefined,
        options: { jitter?: string; dir?: string },
      ) => {
        const fault = parseFault(kind, value, options.jitter);
        const link = await applyFault(dirOf(options), cluster, fault);
        done({ stdout: renderLink(link) });
      },
    );

  return sandbox;
}
