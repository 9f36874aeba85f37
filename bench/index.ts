// `npm run bench`: deploy benchmarks against a real 6-cluster sandbox, measured side by side in
// one run. 10 releases to 1, 3 and 6 clusters with Regatta, with a sequential
// `helm upgrade --install --wait` loop (what a CI script does), with helmfile in its best
// multi-cluster form (one process per cluster context, all in parallel, `--concurrency` set), a
// no-op Regatta redeploy and `regatta plan` of 60 targets. Twice, each on a sandbox of its own:
// without latency (the CPU-bound reference) and with the seed's wide-area latencies
// (`sandbox up --latency seed`), where the 6-cluster deploy is also broken down per target from
// Regatta's own JSON Lines. `npm run bench -- --latency seed` (or `none`) runs one of the two.
// Prints the ratios and writes bench/RESULTS.md.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { HELMFILE, KUBECONFORM } from '../src/sandbox/binaries.js';
import { validationBench, type ValidationResult } from './validation.js';
import { resolveBinary } from '../src/sandbox/binary-store.js';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { run } from '../src/adapters/process.js';
import { packageRoot } from '../src/paths.js';
import { sandboxPaths } from '../src/sandbox/layout.js';
import { sandboxEnvironment } from '../src/sandbox/sandbox.js';
import { readState, type SandboxState } from '../src/sandbox/state.js';
import { linkOf, SEED_PROFILE } from '../src/sandbox/latency.js';
import { renderTable } from '../src/report/table.js';
import { breakdown, PHASES, type Breakdown } from './breakdown.js';
import { fluxBench } from './flux.js';
import { cpuSecondsOf, machineStealSeconds, measured, type Measured } from './measure.js';

const RELEASES = 10;
/**
 * The fixture chart's progress deadline is 10 s so that failure tests fail fast; with hundreds of
 * targets on a loaded machine the controller-manager can be slower than that, and a healthy
 * rollout was reported failed (the first scale attempt). The scale run gives both tools longer.
 */
const SCALE_VALUES = { progressDeadlineSeconds: 600 };
const CLUSTER_COUNTS = [1, 3, 6];
type Latency = 'none' | 'seed';
const regattaBin = join(packageRoot, 'bin', 'regatta.js');
const chart = join(packageRoot, 'test', 'fixtures', 'charts', 'web');
const work = mkdtempSync(join(tmpdir(), 'bench-regatta-'));

async function timed<T>(what: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await what();
  return { seconds: (performance.now() - started) / 1000, value };
}

function regatta(args: string[], env: NodeJS.ProcessEnv) {
  return run(process.execPath, [regattaBin, ...args], { env });
}

/** A fleet over these clusters; `waves`: two waves (the first half, then the rest), no soak. */
function writeFleet(dir: string, clusters: string[], waves = false): string {
  const file = join(dir, waves ? 'regatta-waves.yaml' : 'regatta.yaml');
  const rollout = {
    waves: [
      { name: 'first', clusters: { names: clusters.slice(0, Math.ceil(clusters.length / 2)) } },
      { name: 'rest', clusters: { selector: {} } },
    ],
  };
  writeFileSync(
    file,
    stringify({
      apiVersion: 'regatta/v1',
      kind: 'Fleet',
      environments: {
        bench: {
          branches: ['main'],
          chartRepository: { url: 'http://127.0.0.1:1' },
          ...(waves ? { rollout } : {}),
        },
      },
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

function writeReleases(
  dir: string,
  namespace: string,
  count = RELEASES,
  extraValues: Record<string, unknown> = {},
): string {
  const folder = join(dir, `releases-${namespace}`);
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    writeFileSync(
      join(folder, `app${i}.yaml`),
      stringify({
        apiVersion: 'regatta/v1',
        kind: 'Release',
        metadata: { name: `app${i}.${namespace}`, environment: 'bench' },
        spec: {
          chart_name: 'web',
          chart_path: chart,
          values: { image: `registry.example/app${i}:1`, ...extraValues },
        },
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

/**
 * helmfile at its best over many clusters: one helmfile file and process per cluster context, all
 * started at once, each with --concurrency over its releases (helmfile itself handles one context).
 */
function helmfile(
  binary: string,
  dir: string,
  clusters: string[],
  namespace: string,
  env: NodeJS.ProcessEnv,
  releases = RELEASES,
  extraValues: Record<string, unknown> = {},
): Promise<Measured[]> {
  return Promise.all(
    clusters.map((cluster) => {
      const file = join(dir, `helmfile-${namespace}-${cluster}.yaml`);
      writeFileSync(
        file,
        stringify({
          helmDefaults: { wait: true, timeout: 300, createNamespace: true, kubeContext: cluster },
          releases: Array.from({ length: releases }, (_, i) => ({
            name: `app${i}`,
            namespace,
            chart,
            values: [{ ...globalsFor(cluster), image: `registry.example/app${i}:1`, ...extraValues }],
          })),
        }),
      );
      return measured(binary, ['--file', file, 'sync', '--concurrency', String(RELEASES)], env);
    }),
  ).then((runs) => {
    const failed = runs.find((r) => r.exitCode !== 0);
    if (failed) throw new Error(`helmfile sync failed: ${failed.stderr.slice(-1500)}`);
    return runs;
  });
}

interface CountResult {
  regatta: number;
  /** The same deploy in two waves, no soak (6 clusters only): the cost of waves. */
  waves?: number;
  sequential: number;
  helmfile?: number;
  noop: number;
  /** CPU-seconds of the full deploy: Regatta with its helm processes, and the sandbox's own processes meanwhile. */
  /** `steal`: CPU-seconds the hypervisor took away from this machine meanwhile. */
  cpu: { regatta: number; controlPlanes: number; steal: number };
  /** The same for helmfile (its helm processes included). */
  helmfileCpu?: { helmfile: number; controlPlanes: number; steal: number };
}

interface FanOut {
  latency: Latency;
  results: Record<number, CountResult>;
  /** `regatta plan` of RELEASES × 6 targets, wall time. */
  plan: number;
  breakdown: Breakdown;
  validation?: ValidationResult;
  /** Load average (1 min) when it started and ended: the machine is shared. */
  load: [number, number];
}

/** One fan-out run on a 6-cluster sandbox of its own, started with `--latency` and always stopped. */
async function fanOut(latency: Latency, helmfileBinary: () => Promise<string | undefined>): Promise<FanOut> {
  const sandboxDir = join(work, `sandbox-${latency}`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  const load0 = loadavg()[0]!;
  console.log(`starting a 6-cluster sandbox (--latency ${latency}) in ${sandboxDir}`);
  try {
    await regatta(['sandbox', 'up', '--clusters', '6', '--latency', latency, '--dir', sandboxDir], env);
    Object.assign(env, sandboxEnvironment(sandboxDir, process.env));
    const state = readState(sandboxPaths(sandboxDir).state)!;
    // Every process of the sandbox: API servers, controllers, kwok, etcd, the proxy.
    const sandboxPids = state.components.flatMap((c) => (c.process ? [c.process.pid] : []));
    const results: Record<number, CountResult> = {};
    const dirs: Record<number, string> = {};
    let plan = NaN;
    let events = '';
    // Untimed, first: one release to every cluster. The first deploy after `sandbox up` meets
    // control planes still settling and helm's discovery cache empty, and it would be Regatta's
    // 1-cluster run (the ratios' denominator), while the other tools run later, warm.
    {
      const dir = mkdtempSync(join(work, `${latency}-warmup-`));
      await regatta(
        ['deploy', '--fleet', writeFleet(dir, state.clusters.slice(0, 6)), writeReleases(dir, 'warmup', 1)],
        env,
      ); // a failure rejects, with its stderr
    }
    for (const count of CLUSTER_COUNTS) {
      const clusters = state.clusters.slice(0, count);
      const dir = mkdtempSync(join(work, `${latency}-n${count}-`));
      const fleet = writeFleet(dir, clusters);
      const releases = writeReleases(dir, `r${count}`);
      // As many helm processes at once as helmfile gets (--concurrency RELEASES per cluster): with
      // far clusters the time is round trips, and the default of 10 in all would queue targets.
      const concurrency = ['--concurrency', String(RELEASES * count)];
      const planes0 = cpuSecondsOf(sandboxPids);
      const steal0 = machineStealSeconds();
      const deploy = await measured(
        process.execPath,
        [regattaBin, 'deploy', '--fleet', fleet, releases, ...concurrency, '--output', 'json'],
        env,
        true,
      );
      if (deploy.exitCode !== 0) throw new Error(`regatta deploy failed: ${deploy.stderr.slice(-1500)}`);
      const cpu = {
        regatta: deploy.cpuSeconds + deploy.childCpuSeconds,
        controlPlanes: cpuSecondsOf(sandboxPids) - planes0,
        steal: machineStealSeconds() - steal0,
      };
      const noop = await timed(() => regatta(['deploy', '--fleet', fleet, releases, ...concurrency], env));
      let waves: number | undefined;
      if (count === 6) {
        events = deploy.stdout;
        plan = (await timed(() => regatta(['plan', '--fleet', fleet, releases], env))).seconds;
        const waved = writeFleet(dir, clusters, true);
        const wavedReleases = writeReleases(dir, `w${count}`);
        waves = (await timed(() => regatta(['deploy', '--fleet', waved, wavedReleases, ...concurrency], env)))
          .seconds;
        console.log(`[${latency}] 6 clusters in two waves: ${waves.toFixed(1)}s`);
      }
      const sequential = await timed(() => sequentialHelm(clusters, `s${count}`, env));
      results[count] = {
        regatta: deploy.seconds,
        sequential: sequential.seconds,
        noop: noop.seconds,
        waves,
        cpu,
      };
      dirs[count] = dir;
      console.log(
        `[${latency}] ${count} cluster(s): regatta ${deploy.seconds.toFixed(1)}s, no-op ${noop.seconds.toFixed(1)}s, sequential helm ${sequential.seconds.toFixed(1)}s`,
      );
    }
    // helmfile last, on the same sandbox (namespaces of its own): its cold build takes minutes.
    const helmfileBin = await helmfileBinary();
    for (const count of helmfileBin ? CLUSTER_COUNTS : []) {
      const clusters = state.clusters.slice(0, count);
      const planes0 = cpuSecondsOf(sandboxPids);
      const steal0 = machineStealSeconds();
      const run = await timed(() => helmfile(helmfileBin!, dirs[count]!, clusters, `h${count}`, env));
      results[count]!.helmfile = run.seconds;
      results[count]!.helmfileCpu = {
        helmfile: run.value.reduce((sum, r) => sum + r.cpuSeconds + r.childCpuSeconds, 0),
        controlPlanes: cpuSecondsOf(sandboxPids) - planes0,
        steal: machineStealSeconds() - steal0,
      };
      console.log(`[${latency}] ${count} cluster(s): helmfile ${run.seconds.toFixed(1)}s`);
    }
    const validation = latency === 'none' ? await runValidation(state, sandboxDir, env) : undefined;
    return {
      latency,
      results,
      plan,
      breakdown: breakdown(events, results[6]!.regatta),
      validation,
      load: [load0, loadavg()[0]!],
    };
  } finally {
    await regatta(['sandbox', 'down', '--dir', sandboxDir], env).catch(() => undefined);
  }
}

async function runValidation(state: SandboxState, sandboxDir: string, env: NodeJS.ProcessEnv) {
  const kubeconformBin = (await resolveBinary(KUBECONFORM, process.env, (line) => console.log(line))).path;
  const first = state.clusters[0]!;
  return validationBench(
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
}

const ratio = (a: number, b: number, digits = 1) => `${(a / b).toFixed(digits)}×`;
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

function fanOutTable(fan: FanOut): string {
  const one = fan.results[1]!.regatta;
  return renderTable(
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
    CLUSTER_COUNTS.map((count) => {
      const r = fan.results[count]!;
      return [
        String(count),
        `${r.regatta.toFixed(1)}s`,
        `${r.sequential.toFixed(1)}s`,
        r.helmfile === undefined ? 'not built' : `${r.helmfile.toFixed(1)}s`,
        `${r.noop.toFixed(1)}s`,
        ratio(r.regatta, one, 2),
        ratio(r.sequential, r.regatta),
        r.helmfile === undefined ? '-' : ratio(r.helmfile, r.regatta),
        `${((r.noop / r.regatta) * 100).toFixed(0)}%`,
      ];
    }),
  );
}

/** The targets, each against this run's numbers at 6 clusters. */
function targets(fan: FanOut): string[] {
  const six = fan.results[6]!;
  const lines = [
    `6 clusters vs 1: ${ratio(six.regatta, fan.results[1]!.regatta, 2)} (target ≤ 1.3×): ${met(six.regatta / fan.results[1]!.regatta <= 1.3)}`,
    `sequential helm / Regatta: ${ratio(six.sequential, six.regatta)} (target ≥ 5×): ${met(six.sequential / six.regatta >= 5)}`,
    six.helmfile === undefined
      ? 'helmfile / Regatta: helmfile not built'
      : `helmfile / Regatta: ${ratio(six.helmfile, six.regatta)} (target ≥ 2×): ${met(six.helmfile / six.regatta >= 2)}`,
    `no-op / full deploy: ${((six.noop / six.regatta) * 100).toFixed(0)}% (target ≤ 10%): ${met(six.noop / six.regatta <= 0.1)}`,
    `plan of ${RELEASES * 6} targets: ${fan.plan.toFixed(2)}s wall (target < 3 s): ${met(fan.plan < 3)}`,
    six.waves === undefined
      ? 'two waves / all at once: not measured'
      : `two waves (no soak) / all at once, 6 clusters: ${ratio(six.waves, six.regatta, 2)} (the cost of waves)`,
  ];
  return lines;
}

/**
 * What each full deploy cost in CPU, its own and the sandbox's, and the least wall time this
 * machine's cores allow for that much work: on one machine, six clusters' control planes do six
 * times the work of one, whatever the deploying tool does.
 */
function cpuTable(fan: FanOut): string {
  const cores = availableParallelism();
  const s = (value: number | undefined) => (value === undefined ? '-' : `${value.toFixed(1)}s`);
  return renderTable(
    [
      'CLUSTERS',
      'REGATTA+HELM CPU',
      'CONTROL PLANES CPU',
      `≥ WALL ON ${cores} CORES`,
      'STOLEN',
      'HELMFILE+HELM CPU',
      'CONTROL PLANES CPU',
      `≥ WALL ON ${cores} CORES`,
      'STOLEN',
    ],
    CLUSTER_COUNTS.map((count) => {
      const r = fan.results[count]!;
      const h = r.helmfileCpu;
      return [
        String(count),
        s(r.cpu.regatta),
        s(r.cpu.controlPlanes),
        s((r.cpu.regatta + r.cpu.controlPlanes) / cores),
        s(r.cpu.steal),
        s(h?.helmfile),
        s(h?.controlPlanes),
        h ? s((h.helmfile + h.controlPlanes) / cores) : '-',
        s(h?.steal),
      ];
    }),
  );
}

function breakdownTable(fan: FanOut): string {
  const rtt = (cluster: string) => {
    if (fan.latency === 'none') return '-';
    const link = linkOf(SEED_PROFILE, cluster);
    return `${link.rttMs}±${link.jitterMs} ms`;
  };
  const s = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(2)}s`);
  return renderTable(
    [
      'CLUSTER',
      'RTT',
      'TARGETS',
      'QUEUED',
      'OBSERVE',
      'RENDER',
      'UPGRADE',
      'POST-RENDER',
      'WAIT',
      'VERDICT',
      'HELM MIN',
      'HELM MAX',
      'LAST HEALTHY AT',
    ],
    fan.breakdown.clusters.map((c) => [
      c.cluster,
      rtt(c.cluster),
      String(c.targets),
      s(c.queuedMedian),
      ...PHASES.map((phase) => s(c.phaseMedians[phase])),
      s(c.helmMin),
      s(c.helmMax),
      s(c.lastHealthyAt),
    ]),
  );
}

function section(fan: FanOut): string {
  const b = fan.breakdown;
  const title =
    fan.latency === 'seed'
      ? "With the seed's latencies (`sandbox up --clusters 6 --latency seed`)"
      : 'Without latency (CPU-bound reference: six control planes on the same cores as helm)';
  return [
    `## ${title}`,
    '',
    `Load average (1 min) at start ${fan.load[0].toFixed(1)}, at end ${fan.load[1].toFixed(1)} on ${availableParallelism()} cores.`,
    '',
    '```',
    fanOutTable(fan),
    '```',
    '',
    ...targets(fan).map((line) => `- ${line}`),
    '',
    `CPU-seconds of each full deploy (the tool with its helm processes; the sandbox's API servers,` +
      ` controllers, kwok, etcd and proxy over the same time), and the least wall time ${availableParallelism()} cores` +
      ` allow for that work. The 6-cluster deploy cannot take less than` +
      ` ${((fan.results[6]!.cpu.regatta + fan.results[6]!.cpu.controlPlanes) / availableParallelism() / fan.results[1]!.regatta).toFixed(2)}×` +
      ` the 1-cluster one here, whatever it does. STOLEN: CPU-seconds the hypervisor gave other` +
      ` guests meanwhile (\`steal\` in /proc/stat, all cores): where it is high, the run measured` +
      ` the neighbours.`,
    '',
    '```',
    cpuTable(fan),
    '```',
    '',
    `Where the time of the 6-cluster deploy went (from its own \`--output json\` events and \`timings\`;` +
      ` from the process start): start, reachability, lock, observe and render before the first target` +
      ` started ${b.prepare.toFixed(2)}s; targets ${b.apply.toFixed(2)}s; verdicts, lock release` +
      ` and exit ${b.finish.toFixed(2)}s (process wall ${fan.results[6]!.regatta.toFixed(2)}s).`,
    '',
    'Per cluster of the 6-cluster deploy, the median of each phase over its targets (`timings` of' +
      ' `--output json`): QUEUED behind the concurrency limit; OBSERVE, the list of Helm records that' +
      ' answered; RENDER, `helm template` at plan time (the first cluster of each release); UPGRADE,' +
      " helm's run less its wait; POST-RENDER, the post-renderer's part of it; WAIT, helm waiting for" +
      ' the rollout; VERDICT, recording it; HELM MIN/MAX, upgrade + wait; LAST HEALTHY AT, seconds' +
      ' since the first event.',
    '',
    '```',
    breakdownTable(fan),
    '```',
    '',
    ...(fan.validation
      ? [
          `Validation of ${fan.validation.objects} objects against one API server's OpenAPI (strict): Regatta ${Math.round(fan.validation.regattaPerSecond)} objects/s, kubeconform v0.7.0 ${Math.round(fan.validation.kubeconformPerSecond)} objects/s, ratio ${(fan.validation.regattaPerSecond / fan.validation.kubeconformPerSecond).toFixed(2)}× (target ≥ 1×).`,
          '',
        ]
      : []),
  ].join('\n');
}

interface ScalePoint {
  releases: number;
  targets: number;
  regatta: Measured;
  helmfile?: { seconds: number; cpuSeconds: number };
}

/**
 * `--scale`: 60 and then 120 releases to 6 clusters under the seed's latencies: wall time,
 * Regatta's own peak RSS, CPU-seconds per target (Regatta + its helm processes, and helmfile +
 * its helm processes), and how each grows from 360 to 720 targets (the exponent of n).
 */
async function scale(helmfileBinary: () => Promise<string | undefined>): Promise<string> {
  const sandboxDir = join(work, 'sandbox-scale');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const points: ScalePoint[] = [];
  console.log(`starting a 6-cluster sandbox (--latency seed) in ${sandboxDir}`);
  try {
    await regatta(['sandbox', 'up', '--clusters', '6', '--latency', 'seed', '--dir', sandboxDir], env);
    Object.assign(env, sandboxEnvironment(sandboxDir, process.env));
    const clusters = readState(sandboxPaths(sandboxDir).state)!.clusters.slice(0, 6);
    const helmfileBin = await helmfileBinary();
    for (const releases of [60, 120]) {
      const dir = mkdtempSync(join(work, `scale-${releases}-`));
      const fleet = writeFleet(dir, clusters);
      const folder = writeReleases(dir, `sc${releases}`, releases, SCALE_VALUES);
      const deploy = await measured(
        process.execPath,
        [regattaBin, 'deploy', '--fleet', fleet, folder, '--concurrency', String(RELEASES * clusters.length)],
        env,
      );
      if (deploy.exitCode !== 0) {
        const why = deploy.stderr.split('\n').filter((line) => /: failed|error/.test(line));
        throw new Error(`regatta deploy failed:\n${why.slice(0, 20).join('\n')}`);
      }
      const point: ScalePoint = { releases, targets: releases * clusters.length, regatta: deploy };
      if (helmfileBin) {
        const started = performance.now();
        const runs = await helmfile(helmfileBin, dir, clusters, `hc${releases}`, env, releases, SCALE_VALUES);
        point.helmfile = {
          seconds: (performance.now() - started) / 1000,
          cpuSeconds: runs.reduce((sum, r) => sum + r.cpuSeconds + r.childCpuSeconds, 0),
        };
      }
      points.push(point);
      console.log(
        `[scale] ${point.targets} targets: regatta ${deploy.seconds.toFixed(1)}s, ${deploy.peakRssMiB.toFixed(0)} MiB peak, helmfile ${point.helmfile?.seconds.toFixed(1) ?? 'n/a'}s`,
      );
    }
  } finally {
    await regatta(['sandbox', 'down', '--dir', sandboxDir], env).catch(() => undefined);
  }
  const cpuOf = (p: ScalePoint) => p.regatta.cpuSeconds + p.regatta.childCpuSeconds;
  const [small, large] = points as [ScalePoint, ScalePoint];
  const exponent = (a: number, b: number) =>
    (Math.log(b / a) / Math.log(large.targets / small.targets)).toFixed(2);
  const table = renderTable(
    [
      'TARGETS',
      'REGATTA WALL',
      'PEAK RSS',
      'CPU-S/TARGET (REGATTA+HELM)',
      'OF WHICH REGATTA',
      'HELMFILE WALL',
      'CPU-S/TARGET (HELMFILE+HELM)',
    ],
    points.map((p) => [
      String(p.targets),
      `${p.regatta.seconds.toFixed(1)}s`,
      `${p.regatta.peakRssMiB.toFixed(0)} MiB`,
      (cpuOf(p) / p.targets).toFixed(3),
      (p.regatta.cpuSeconds / p.targets).toFixed(3),
      p.helmfile ? `${p.helmfile.seconds.toFixed(1)}s` : '-',
      p.helmfile ? (p.helmfile.cpuSeconds / p.targets).toFixed(3) : '-',
    ]),
  );
  return [
    '## Scale (`npm run bench -- --scale`, 6 clusters, seed latencies)',
    '',
    '```',
    table,
    '```',
    '',
    `Growth from ${small.targets} to ${large.targets} targets (exponent of n; 1 = linear): Regatta wall ${exponent(small.regatta.seconds, large.regatta.seconds)}, CPU ${exponent(cpuOf(small), cpuOf(large))}, Regatta's own CPU ${exponent(small.regatta.cpuSeconds, large.regatta.cpuSeconds)}, peak RSS ${exponent(small.regatta.peakRssMiB, large.regatta.peakRssMiB)}` +
      (small.helmfile && large.helmfile
        ? `; helmfile wall ${exponent(small.helmfile.seconds, large.helmfile.seconds)}, CPU ${exponent(small.helmfile.cpuSeconds, large.helmfile.cpuSeconds)}.`
        : '.'),
    `Peak RSS at ${large.targets} targets: ${large.regatta.peakRssMiB.toFixed(0)} MiB (target ≤ 300 MB): ${met(large.regatta.peakRssMiB * 1.048576 <= 300)}.`,
    '',
  ].join('\n');
}

async function main() {
  const only = process.argv.indexOf('--latency');
  const latencies: Latency[] =
    only >= 0
      ? [process.argv[only + 1] as Latency].filter((l) => l === 'none' || l === 'seed')
      : ['none', 'seed'];
  if (latencies.length === 0) throw new Error('--latency takes none or seed');
  const helmfileBinary = async () =>
    (await resolveBinary(HELMFILE, process.env, (line) => console.log(line))).path;
  if (process.argv.includes('--flux')) {
    rmSync(work, { recursive: true, force: true });
    const body = await fluxBench(latencies.length === 1 ? latencies[0]! : 'none');
    console.log(`\n${body}`);
    writeFileSync(
      join(packageRoot, 'bench', 'RESULTS-flux.md'),
      `# Flux engine benchmark (last run)\n\nRun: ${new Date().toISOString()}.\n\n${body}`,
    );
    return;
  }
  if (process.argv.includes('--scale')) {
    let body: string;
    try {
      body = await scale(helmfileBinary);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    console.log(`\n${body}`);
    writeFileSync(
      join(packageRoot, 'bench', 'RESULTS-scale.md'),
      `# Scale benchmark (last run)\n\nMachine: ${availableParallelism()} cores, shared with other sessions. Run: ${new Date().toISOString()}.\n\n${body}`,
    );
    return;
  }
  const fans: FanOut[] = [];
  try {
    for (const latency of latencies) fans.push(await fanOut(latency, helmfileBinary));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;
  const body = fans.map(section).join('\n');
  console.log(`\n${body}`);
  writeFileSync(
    join(packageRoot, 'bench', 'RESULTS.md'),
    `# Deploy benchmark (last run)\n\n${RELEASES} releases (test/fixtures/charts/web, 2 replicas each) per cluster, sandbox clusters, Helm 4; helmfile v1.4.4 one process per cluster context in parallel, \`--concurrency ${RELEASES}\`.\nMachine: ${machine}, shared with other sessions. Run: ${new Date().toISOString()}.\n\n${body}`,
  );
}

await main();
