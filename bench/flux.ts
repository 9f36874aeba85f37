// `npm run bench -- --flux [--latency none|seed]`: the same 10 releases to 6 clusters, delivered
// by the helm engine (`regatta deploy`: helm from this machine) and by the Flux engine
// (`regatta deploy` of an `engine: flux` environment: a commit, then each cluster's own Flux),
// side by side on one `sandbox up --flux` sandbox. Each deploy is timed from the command's start
// to every target Ready: first install, a change of every release, and a no-op. Prints the ratios
// and writes bench/RESULTS-flux.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { httpRequest } from '../src/adapters/http.js';
import { run } from '../src/adapters/process.js';
import { packageRoot } from '../src/paths.js';
import { renderTable } from '../src/report/table.js';
import { sandboxPaths } from '../src/sandbox/layout.js';
import { sandboxEnvironment } from '../src/sandbox/sandbox.js';
import { readState } from '../src/sandbox/state.js';

const RELEASES = 10;
const CLUSTERS = 6;
const regattaBin = join(packageRoot, 'bin', 'regatta.js');

async function regatta(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // run() rejects with the command's last lines when it exits non-zero: the bench stops there.
  const started = performance.now();
  await run(process.execPath, [regattaBin, ...args], { env });
  return (performance.now() - started) / 1000;
}

function writeFleet(file: string, clusters: string[], chartmuseum: string, flux: boolean): void {
  writeFileSync(
    file,
    stringify({
      apiVersion: 'regatta/v1',
      kind: 'Fleet',
      environments: {
        bench: {
          branches: ['main'],
          chartRepository: { url: chartmuseum },
          ...(flux
            ? { engine: 'flux', gitops: { repo: '${REGATTA_GIT_URL}/bench/fleet.git', branch: 'main' } }
            : {}),
        },
      },
      clusters: clusters.map((name) => ({ name, env: 'bench', region: name, cloud: true })),
    }),
  );
}

function writeReleases(dir: string, namespace: string, tag: number): string {
  const folder = join(dir, `releases-${namespace}`);
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < RELEASES; i++)
    writeFileSync(
      join(folder, `app${i}.yaml`),
      stringify({
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: `app${i}.${namespace}`, environment: 'bench' },
        spec: {
          chart_name: 'web',
          chart_version: '1.0.0',
          values: { image: `registry.example/app${i}:${tag}` },
        },
      }),
    );
  return folder;
}

/** The web fixture chart in the sandbox's ChartMuseum, as a release pipeline would push it. */
async function publishChart(work: string, chartmuseum: string, env: NodeJS.ProcessEnv): Promise<void> {
  const out = mkdtempSync(join(work, 'chart-'));
  cpSync(join(packageRoot, 'test', 'fixtures', 'charts', 'web'), join(out, 'web'), { recursive: true });
  await run('helm', ['package', join(out, 'web'), '-d', out], { env });
  const upload = await httpRequest(`${chartmuseum}/api/charts?force=true`, {
    method: 'POST',
    body: readFileSync(join(out, 'web-1.0.0.tgz')),
  });
  if (upload.status !== 201)
    throw new Error(`ChartMuseum refused the chart: ${upload.status} ${upload.body}`);
}

export async function fluxBench(latency: 'none' | 'seed'): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'bench-flux-'));
  const sandboxDir = join(work, 'sandbox');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const load0 = loadavg()[0]!;
  console.log(`starting a ${CLUSTERS}-cluster sandbox with Flux (--latency ${latency}) in ${sandboxDir}`);
  try {
    await regatta(
      ['sandbox', 'up', '--flux', '--clusters', String(CLUSTERS), '--latency', latency, '--dir', sandboxDir],
      env,
    );
    Object.assign(env, sandboxEnvironment(sandboxDir, process.env));
    const state = readState(sandboxPaths(sandboxDir).state)!;
    const chartmuseum = `http://127.0.0.1:${state.ports.chartmuseum}`;
    await publishChart(work, chartmuseum, env);
    const helmFleet = join(work, 'regatta-helm.yaml');
    const fluxFleet = join(work, 'regatta-flux.yaml');
    writeFleet(helmFleet, state.clusters, chartmuseum, false);
    writeFleet(fluxFleet, state.clusters, chartmuseum, true);
    const releases = (engine: string, tag: number) =>
      writeReleases(join(work, `v${tag}`), `bench-${engine}`, tag);
    // Each cluster's Flux pointed at its folder: once, outside the timings (as a platform team does).
    await regatta(
      [
        'gitops',
        'bootstrap',
        '--fleet',
        fluxFleet,
        '--env',
        'bench',
        '--repo',
        `${env.REGATTA_GIT_URL}/bench/fleet.git`,
        '--branch',
        'main',
        releases('flux', 1),
      ],
      env,
    );
    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const [what, tag] of [
      ['first install', 1],
      ['change every release', 2],
      ['no-op', 2],
    ] as const) {
      const helm = await regatta(
        ['deploy', '--fleet', helmFleet, releases('helm', tag), '--concurrency', String(RELEASES * CLUSTERS)],
        env,
      );
      const flux = await regatta(['deploy', '--fleet', fluxFleet, releases('flux', tag)], env);
      console.log(`[flux bench] ${what}: helm engine ${helm.toFixed(1)}s, Flux engine ${flux.toFixed(1)}s`);
      rows.push([what, `${helm.toFixed(1)}s`, `${flux.toFixed(1)}s`, `${(flux / helm).toFixed(2)}×`]);
      ratios.push(`${what}: Flux / helm engine ${(flux / helm).toFixed(2)}×`);
    }
    return [
      `## Flux engine vs helm engine (\`npm run bench -- --flux --latency ${latency}\`)`,
      '',
      `${RELEASES} releases (test/fixtures/charts/web from ChartMuseum) × ${CLUSTERS} clusters, each command timed from its start to every target Ready (helm engine: \`regatta deploy\`, helm run here, \`--concurrency ${RELEASES * CLUSTERS}\`; Flux engine: \`regatta deploy\` of an \`engine: flux\` environment, render + commit + push, then each cluster's source/kustomize/helm-controller, watched until every HelmRelease is Ready). Machine: ${availableParallelism()} cores, load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end.`,
      '',
      '```',
      renderTable(['DEPLOY', 'HELM ENGINE', 'FLUX ENGINE', 'FLUX / HELM'], rows),
      '```',
      '',
      ...ratios.map((line) => `- ${line}`),
      '',
    ].join('\n');
  } finally {
    await run(process.execPath, [regattaBin, 'sandbox', 'down', '--dir', sandboxDir], { env }).catch(
      () => undefined,
    );
    rmSync(work, { recursive: true, force: true });
  }
}
