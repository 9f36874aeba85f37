// `npm run bench`: deploy benchmarks against a real 6-cluster sandbox, measured side by side in
// one run. 10 releases to 1, 3 and 6 clusters with Regatta, with a sequential
// `helm upgrade --install --wait` loop (what a CI script does), with helmfile (if built), and a
// no-op Regatta redeploy. Prints the ratios and writes bench/RESULTS.md.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { HELMFILE, KUBECONFORM } from '../src/sandbox/binaries.js';
import { validationBench, type ValidationResult } from './validation.js';
import { resolveBinary } from '../src/sandbox/binary-store.js';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run } from '../src/adapters/process.js';
import { packageRoot } from '../src/paths.js';
import { sandboxPaths } from '../src/sandbox/layout.js';
import { sandboxEnvironment } from '../src/sandbox/sandbox.js';
import { readState } from '../src/sandbox/state.js';
import { renderTable } from '../src/report/table.js';

const RELEASES = 10;
const CLUSTER_COUNTS = [1, 3, 6];
const regattaBin = join(packageRoot, 'bin', 'regatta.js');
const chart = join(packageRoot, 'test', 'fixtures', 'charts', 'web');
const work = mkdtempSync(join(tmpdir(), 'regatta-bench-'));
const sandboxDir = join(work, 'sandbox');

async function timed(what: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await what();
  return (performance.now() - started) / 1000;
}

function regatta(args: string[], env: NodeJS.ProcessEnv) {
  return run(process.execPath, [regattaBin, ...args], { env });
}

function writeFleet(dir: string, clusters: string[]): string {
  const file = join(dir, 'regatta.yaml');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'regatta/v1',
      kind: 'Fleet',
      environments: { bench: { branches: ['main'], chartRepository: { url: 'http://127.0.0.1:1' } } },
      clusters: clusters.map((name) => ({
        name,
        env: 'bench',
        region: name.split('-').slice(1, 3).join('-'),
        cloud: true,
      })),
    }),
  );
  return file;
}

function writeReleases(dir: string, namespace: string): string {
  const folder = join(dir, `releases-${namespace}`);
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < RELEASES; i++) {
    writeFileSync(
      join(folder, `app${i}.yaml`),
      stringify({
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: `app${i}.${namespace}`, environment: 'bench' },
        spec: { chart_name: 'web', chart_path: chart, values: { image: `registry.example/app${i}:1` } },
      }),
    );
  }
  return folder;
}

function globalsFor(cluster: string) {
  return {
    global: {
      cloud: true,
      env: 'bench',
      region: cluster.split('-').slice(1, 3).join('-'),
      clusterName: cluster,
    },
  };
}

/** What a CI script does: one `helm upgrade --install --wait` after the other. */
async function sequentialHelm(clusters: string[], namespace: string, env: NodeJS.ProcessEnv) {
  for (const cluster of clusters) {
    for (let i = 0; i < RELEASES; i++) {
      await run(
        'helm',
        [
          'upgrade',
          '--install',
          `app${i}`,
          chart,
          '-n',
          namespace,
          '--create-namespace',
          '--kube-context',
          cluster,
          '--wait',
          '--timeout',
          '300s',
          '-f',
          '-',
        ],
        { env, input: JSON.stringify({ ...globalsFor(cluster), image: `registry.example/app${i}:1` }) },
      );
    }
  }
}

/** helmfile with the same charts and values, --concurrency over the releases, one run per cluster. */
async function helmfile(
  binary: string,
  dir: string,
  clusters: string[],
  namespace: string,
  env: NodeJS.ProcessEnv,
) {
  for (const cluster of clusters) {
    const file = join(dir, `helmfile-${namespace}-${cluster}.yaml`);
    writeFileSync(
      file,
      stringify({
        helmDefaults: { wait: true, timeout: 300, createNamespace: true, kubeContext: cluster },
        releases: Array.from({ length: RELEASES }, (_, i) => ({
          name: `app${i}`,
          namespace,
          chart,
          values: [{ ...globalsFor(cluster), image: `registry.example/app${i}:1` }],
        })),
      }),
    );
    await run(binary, ['--file', file, 'sync', '--concurrency', String(RELEASES)], { env });
  }
}

async function main() {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const helmfileBin = (await resolveBinary(HELMFILE, process.env, (line) => console.log(line))).path;
  console.log(`starting a 6-cluster sandbox in ${sandboxDir}`);
  await regatta(['sandbox', 'up', '--clusters', '6', '--dir', sandboxDir], env);
  Object.assign(env, sandboxEnvironment(sandboxDir, process.env));
  const state = readState(sandboxPaths(sandboxDir).state)!;
  const rows: string[][] = [];
  let validation: ValidationResult | undefined;
  const results: Record<number, { regatta: number; sequential: number; helmfile?: number; noop: number }> =
    {};
  try {
    for (const count of CLUSTER_COUNTS) {
      const clusters = state.clusters.slice(0, count);
      const dir = mkdtempSync(join(work, `n${count}-`));
      const fleet = writeFleet(dir, clusters);
      const releases = writeReleases(dir, `r${count}`);
      const regattaSeconds = await timed(() => regatta(['deploy', '--fleet', fleet, releases], env));
      const noopSeconds = await timed(() => regatta(['deploy', '--fleet', fleet, releases], env));
      const sequentialSeconds = await timed(() => sequentialHelm(clusters, `s${count}`, env));
      const helmfileSeconds = helmfileBin
        ? await timed(() => helmfile(helmfileBin, dir, clusters, `h${count}`, env))
        : undefined;
      results[count] = {
        regatta: regattaSeconds,
        sequential: sequentialSeconds,
        helmfile: helmfileSeconds,
        noop: noopSeconds,
      };
      console.log(
        `${count} cluster(s): regatta ${regattaSeconds.toFixed(1)}s, no-op ${noopSeconds.toFixed(1)}s, sequential helm ${sequentialSeconds.toFixed(1)}s, helmfile ${helmfileSeconds?.toFixed(1) ?? 'n/a'}s`,
      );
    }
    const kubeconformBin = (await resolveBinary(KUBECONFORM, process.env, (line) => console.log(line))).path;
    const first = state.clusters[0]!;
    validation = await validationBench(
      {
        name: first,
        context: first,
        kubeconfig: sandboxPaths(sandboxDir).kubeconfig,
        env: 'bench',
        cloud: true,
        region: 'bench',
        labels: {},
        globals: {},
        position: { file: 'bench' },
      },
      kubeconformBin,
      work,
      env,
    );
  } finally {
    await regatta(['sandbox', 'down', '--dir', sandboxDir], env).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  const one = results[1]!.regatta;
  for (const count of CLUSTER_COUNTS) {
    const r = results[count]!;
    rows.push([
      String(count),
      `${r.regatta.toFixed(1)}s`,
      `${r.sequential.toFixed(1)}s`,
      r.helmfile === undefined ? 'not built' : `${r.helmfile.toFixed(1)}s`,
      `${r.noop.toFixed(1)}s`,
      `${(r.regatta / one).toFixed(2)}×`,
      `${(r.sequential / r.regatta).toFixed(1)}×`,
      r.helmfile === undefined ? '-' : `${(r.helmfile / r.regatta).toFixed(1)}×`,
      `${((r.noop / r.regatta) * 100).toFixed(0)}%`,
    ]);
  }
  const table = renderTable(
    [
      'CLUSTERS',
      'REGATTA',
      'SEQUENTIAL HELM',
      'HELMFILE',
      'NO-OP',
      'VS 1 CLUSTER',
      'SEQ/REGATTA',
      'HELMFILE/REGATTA',
      'NO-OP/FULL',
    ],
    rows,
  );
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;
  const validationLine = validation
    ? `Validation of ${validation.objects} objects against one API server's OpenAPI (strict): Regatta ${Math.round(validation.regattaPerSecond)} objects/s, kubeconform v0.7.0 ${Math.round(validation.kubeconformPerSecond)} objects/s, ratio ${(validation.regattaPerSecond / validation.kubeconformPerSecond).toFixed(2)}× (target ≥ 1×).`
    : 'Validation benchmark did not run.';
  console.log(
    `\n${table}\n\nTargets: 6 clusters ≤ 1.5× of 1 cluster; ≥ 4× faster than the sequential loop; no-op ≤ 10% of a full deploy.\n\n${validationLine}`,
  );
  writeFileSync(
    join(packageRoot, 'bench', 'RESULTS.md'),
    `# Deploy benchmark (last run)\n\n${RELEASES} releases (test/fixtures/charts/web, 2 replicas each) per cluster, sandbox clusters, Helm 4.\nMachine: ${machine}. Run: ${new Date().toISOString()}.\n\n\`\`\`\n${table}\n\`\`\`\n\nTargets: 6 clusters ≤ 1.5× the time of 1 cluster; ≥ 4× faster than the sequential loop; no-op ≤ 10% of a full deploy.\n\n${validationLine}\n`,
  );
}

await main();
