import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '../adapters/http.js';
import {
  canListPods,
  probeDeploymentRuns,
  createFakeNode,
  listNodes,
  serverVersion,
  serviceAccountExists,
  type KubeTarget,
} from '../adapters/kube.js';
import {
  isRunning,
  lastNonEmptyLines,
  residentBytes,
  settleDaemons,
  startDaemon,
  stopProcess,
  type ProcessIdentity,
} from '../adapters/process.js';
import { enableKvMount, listMounts } from '../adapters/vault.js';
import { DeployError, UserError } from '../errors.js';
import { assetsDir } from '../paths.js';
import type { Progress } from '../report/progress.js';
import { BINARIES, FLUX_BINARIES } from './binaries.js';
import { resolveBinary, type ResolvedBinary } from './binary-store.js';
import {
  registryConfig,
  sandboxComponents,
  type ComponentDefinition,
  type SandboxPorts,
} from './components.js';
import { prepareFlux, runFlux, type PreparedFlux } from './flux-start.js';
import { buildKubeconfig, type KubeconfigEntry } from './kubeconfig.js';
import { linkOf, type LatencyProfile } from './latency.js';
import {
  CLUSTER_NAMES,
  KWOK_NODE_ANNOTATION,
  MAX_CLUSTERS,
  NODES_PER_CLUSTER,
  OPENBAO_ROOT_TOKEN,
  sandboxPaths,
  type SandboxPaths,
} from './layout.js';
import {
  createCertificateAuthority,
  createServiceAccountKeys,
  issueCertificate,
  type KeyPair,
} from './pki.js';
import { allocatePorts, localPortProbe, type PortRequest } from './ports.js';
import { clientServer, configureProxies, setClusterReachable } from './network.js';
import {
  readState,
  requireState,
  writeState,
  type ComponentRecord,
  type SandboxNetwork,
  type SandboxState,
} from './state.js';
import { describeLink } from './toxics.js';

const HEALTH_TIMEOUT_MS = 120_000;

export function validateClusterCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_CLUSTERS) {
    throw new UserError(`--clusters must be a whole number from 1 to ${MAX_CLUSTERS}, got ${count}`);
  }
}

async function choosePorts(clusters: readonly string[], proxied: boolean): Promise<SandboxPorts> {
  const requests: PortRequest[] = [
    ...(proxied ? [{ name: 'toxiproxy', preferred: 8474 }] : []),
    { name: 'etcd', preferred: 2379 },
    { name: 'etcdPeer', preferred: 2380 },
    { name: 'openbao', preferred: 8200 },
    { name: 'chartmuseum', preferred: 8080 },
    { name: 'registry', preferred: 5000 },
    ...clusters.flatMap((name, index) => [
      { name: `${name}/apiserver`, preferred: 6443 + index },
      { name: `${name}/controllerManager` },
      { name: `${name}/scheduler` },
      { name: `${name}/kwok` },
      ...(proxied ? [{ name: `${name}/proxy` }] : []),
    ]),
  ];
  const ports = await allocatePorts(requests, localPortProbe);
  const port = (name: string) => ports.get(name) as number;
  return {
    etcd: port('etcd'),
    etcdPeer: port('etcdPeer'),
    openbao: port('openbao'),
    chartmuseum: port('chartmuseum'),
    registry: port('registry'),
    ...(proxied ? { toxiproxy: port('toxiproxy') } : {}),
    clusters: clusters.map((name) => ({
      name,
      apiserver: port(`${name}/apiserver`),
      controllerManager: port(`${name}/controllerManager`),
      scheduler: port(`${name}/scheduler`),
      kwok: port(`${name}/kwok`),
      ...(proxied ? { proxy: port(`${name}/proxy`) } : {}),
    })),
  };
}

function writePrivate(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
}

/** Certificates, service-account keys and kubeconfigs of one cluster; returns the admin entry. */
function writeClusterCredentials(paths: SandboxPaths, name: string, port: number): KubeconfigEntry {
  const files = paths.cluster(name);
  mkdirSync(files.dir, { recursive: true });
  const ca = createCertificateAuthority(`${name}-ca`);
  const serving = issueCertificate(ca, {
    commonName: 'kube-apiserver',
    usage: 'server',
    dnsNames: [
      'localhost',
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ],
    ipAddresses: ['127.0.0.1', '10.96.0.1'],
  });
  const serviceAccount = createServiceAccountKeys();
  writeFileSync(files.caCert, ca.certPem);
  writePrivate(files.caKey, ca.keyPem);
  writeFileSync(files.servingCert, serving.certPem);
  writePrivate(files.servingKey, serving.keyPem);
  writeFileSync(files.serviceAccountPublic, serviceAccount.publicPem);
  writePrivate(files.serviceAccountPrivate, serviceAccount.privatePem);
  const server = `https://127.0.0.1:${port}`;
  const entryFor = (user: string, client: KeyPair): KubeconfigEntry => {
    const certFile = join(files.dir, `${user}.crt`);
    const keyFile = join(files.dir, `${user}.key`);
    writeFileSync(certFile, client.certPem);
    writePrivate(keyFile, client.keyPem);
    return { name, server, caFile: files.caCert, certFile, keyFile };
  };
  const admin = entryFor(
    'admin',
    issueCertificate(ca, { commonName: 'regatta-admin', organizations: ['system:masters'], usage: 'client' }),
  );
  writePrivate(files.adminKubeconfig, buildKubeconfig([admin]));
  writePrivate(
    files.controllerManagerKubeconfig,
    buildKubeconfig([
      entryFor(
        'controller-manager',
        issueCertificate(ca, { commonName: 'system:kube-controller-manager', usage: 'client' }),
      ),
    ]),
  );
  writePrivate(
    files.schedulerKubeconfig,
    buildKubeconfig([
      entryFor('scheduler', issueCertificate(ca, { commonName: 'system:kube-scheduler', usage: 'client' })),
    ]),
  );
  return admin;
}

async function isHealthy(definition: ComponentDefinition): Promise<boolean> {
  try {
    const { caFile, insecure, url } = definition.health;
    const response = await httpRequest(url, {
      ca: caFile ? readFileSync(caFile, 'utf8') : undefined,
      insecure,
      timeoutMs: 2_000,
    });
    return response.status === 200;
  } catch {
    return false;
  }
}

function startFailure(paths: SandboxPaths, name: string, reason: string): DeployError {
  const log = paths.log(name);
  const tail = existsSync(log) ? lastNonEmptyLines(readFileSync(log, 'utf8'), 15) : '';
  return new DeployError(`sandbox component ${name} ${reason}; everything started was stopped`, {
    hint: `full log: ${log}`,
    details: tail ? tail.replace(/^/gm, `  ${name} | `) : undefined,
  });
}

async function waitHealthy(paths: SandboxPaths, record: ComponentRecord): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (record.process && !isRunning(record.process)) {
      throw startFailure(paths, record.definition.name, 'exited while starting');
    }
    if (await isHealthy(record.definition)) return;
    await sleep(200);
  }
  throw startFailure(paths, record.definition.name, `was not healthy after ${HEALTH_TIMEOUT_MS / 1000}s`);
}

async function startComponent(
  paths: SandboxPaths,
  state: SandboxState,
  record: ComponentRecord,
  progress: Progress,
): Promise<void> {
  const started = Date.now();
  const { definition } = record;
  record.process = await startDaemon({
    command: state.binaries[definition.binary] as string,
    args: definition.args,
    logFile: paths.log(definition.name),
    cwd: paths.dir,
    env: { ...process.env, ...definition.env },
  });
  writeState(paths.state, state);
  await waitHealthy(paths, record);
  progress.line(`${definition.name} up (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

async function stopComponents(records: readonly ComponentRecord[]): Promise<void> {
  // Reverse phase order: kwok and controllers before their API server, etcd last.
  for (const phase of [2, 1, 0]) {
    await Promise.all(
      records
        .filter((record) => record.definition.phase === phase && record.process)
        .map((record) => stopProcess(record.process as ProcessIdentity)),
    );
  }
}

function target(paths: SandboxPaths, cluster: string): KubeTarget {
  return { kubeconfig: paths.kubeconfig, context: cluster };
}

async function registerNodes(paths: SandboxPaths, cluster: string, progress: Progress): Promise<void> {
  for (let index = 0; index < NODES_PER_CLUSTER; index++) {
    await createFakeNode(target(paths, cluster), `kwok-node-${index}`, KWOK_NODE_ANNOTATION);
  }
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const nodes = await listNodes(target(paths, cluster));
    if (nodes.length >= NODES_PER_CLUSTER && nodes.every((node) => node.ready)) {
      progress.line(`${cluster}: ${nodes.length} kwok nodes Ready`);
      return;
    }
    await sleep(250);
  }
  throw startFailure(paths, `${cluster}/kwok`, 'did not make its nodes Ready');
}

/** The default ServiceAccount appears when the controller-manager runs; Pods need it. */
async function waitDefaultServiceAccount(paths: SandboxPaths, cluster: string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await serviceAccountExists(target(paths, cluster), 'default', 'default')) return;
    await sleep(250);
  }
  throw startFailure(
    paths,
    `${cluster}/kube-controller-manager`,
    'did not create the default ServiceAccount',
  );
}

async function prepareOpenBao(state: SandboxState): Promise<void> {
  const connection = { address: `http://127.0.0.1:${state.ports.openbao}`, token: OPENBAO_ROOT_TOKEN };
  const mounts = await listMounts(connection);
  if (!mounts['kv/']) await enableKvMount(connection, 'kv', '1');
}

function linkClientBinaries(paths: SandboxPaths, binaries: Record<string, string>): void {
  mkdirSync(paths.bin, { recursive: true });
  for (const name of ['helm', 'kubectl', 'helm3'])
    symlinkSync(binaries[name] as string, join(paths.bin, name));
}

function networkRecord(profile: LatencyProfile, clusters: readonly string[]): SandboxNetwork {
  return {
    profile: profile.name,
    links: Object.fromEntries(clusters.map((name) => [name, { link: linkOf(profile, name), faults: {} }])),
  };
}

/** Finds, builds or extracts every binary the sandbox runs, one after the other (builds use all cores). */
export async function prepareBinaries(
  env: NodeJS.ProcessEnv,
  progress: Progress,
  options: { flux?: boolean } = {},
): Promise<ResolvedBinary[]> {
  const resolved: ResolvedBinary[] = [];
  for (const spec of options.flux ? [...BINARIES, ...FLUX_BINARIES] : BINARIES)
    resolved.push(await resolveBinary(spec, env, (line) => progress.line(line)));
  return resolved;
}

export interface UpOptions {
  dir: string;
  clusters: number;
  /** Undefined: no proxy, clients talk to the API servers directly. */
  latency?: LatencyProfile;
  /** Whether --latency was given: only then must a running sandbox have the same profile. */
  latencyGiven?: boolean;
  env: NodeJS.ProcessEnv;
  progress: Progress;
  /** Also run Flux's controllers in every cluster and a git server (see flux-start.ts). */
  flux?: boolean;
}

export type UpResult =
  | { alreadyRunning: true; state: SandboxState }
  | { alreadyRunning: false; state: SandboxState; seconds: number };

/** A marker file `up` leaves in every sandbox folder it makes: only such a folder is ever emptied. */
export const SANDBOX_MARKER = '.regatta-sandbox';

/** `up` replaces a folder only if it is empty, absent, or one of ours (marker or state file). */
export function assertReplaceable(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UserError(`cannot read ${dir}: ${(error as Error).message}`, { hint: 'choose another --dir' });
  }
  if (entries.length === 0 || entries.includes(SANDBOX_MARKER) || entries.includes('state.json')) return;
  throw new UserError(`${dir} is not empty and holds no Regatta sandbox: refusing to replace what is in it`, {
    hint: 'give --dir an empty or new folder',
  });
}

export async function sandboxUp(options: UpOptions): Promise<UpResult> {
  validateClusterCount(options.clusters);
  assertReplaceable(options.dir);
  const paths = sandboxPaths(options.dir);
  const previous = readState(paths.state);
  if (previous && previous.components.some((record) => record.process && isRunning(record.process))) {
    const all = previous.components.every((record) => record.process && isRunning(record.process));
    const profile = previous.network?.profile ?? 'none';
    if (all && options.latencyGiven && profile !== (options.latency?.name ?? 'none')) {
      throw new UserError(`a sandbox in ${options.dir} is already running with --latency ${profile}`, {
        hint: `run \`regatta sandbox down --dir ${options.dir}\` first, or use \`regatta sandbox fault\``,
      });
    }
    if (all) return { alreadyRunning: true, state: previous };
    throw new UserError(`a sandbox in ${options.dir} is partly running`, {
      hint: `run \`regatta sandbox down --dir ${options.dir}\` first`,
    });
  }
  const binaries: Record<string, string> = {};
  for (const spec of options.flux ? [...BINARIES, ...FLUX_BINARIES] : BINARIES) {
    if (spec.name === 'toxiproxy' && !options.latency) continue;
    binaries[spec.name] = (
      await resolveBinary(spec, options.env, (line) => options.progress.line(line))
    ).path;
  }
  const flux: PreparedFlux | undefined = options.flux ? await prepareFlux(options.env, binaries) : undefined;
  const started = Date.now();
  // A fresh sandbox each time: the previous one's data and certificates are thrown away.
  rmSync(options.dir, { recursive: true, force: true });
  for (const dir of [
    paths.logs,
    paths.etcdData,
    paths.openbaoHome,
    paths.chartmuseumStorage,
    paths.registryStorage,
  ]) {
    mkdirSync(dir, { recursive: true });
  }
  chmodSync(options.dir, 0o700);
  writeFileSync(
    join(options.dir, SANDBOX_MARKER),
    'a Regatta sandbox: `regatta sandbox up` may replace this folder\n',
  );
  const clusters = CLUSTER_NAMES.slice(0, options.clusters);
  const ports = await choosePorts(clusters, options.latency !== undefined);
  const admins = clusters.map((name, index) => {
    const { apiserver, proxy } = ports.clusters[index]!;
    // The cluster's own admin.kubeconfig (kwok's) stays direct: only the user's traffic is slowed.
    const admin = writeClusterCredentials(paths, name, apiserver);
    const client = proxy === undefined ? admin : { ...admin, server: `https://127.0.0.1:${proxy}` };
    writePrivate(paths.cluster(name).clientKubeconfig, buildKubeconfig([client]));
    return client;
  });
  writePrivate(paths.kubeconfig, buildKubeconfig(admins));
  writeFileSync(paths.registryConfig, registryConfig(paths, ports.registry));
  linkClientBinaries(paths, binaries);
  const state: SandboxState = {
    version: 1,
    dir: options.dir,
    createdAt: new Date().toISOString(),
    clusters: [...clusters],
    ports,
    binaries,
    components: sandboxComponents(paths, ports, join(assetsDir(), 'kwok', 'stages.yaml')).map(
      (definition) => ({
        definition,
      }),
    ),
    ...(options.latency ? { network: networkRecord(options.latency, clusters) } : {}),
  };
  writeState(paths.state, state);
  try {
    for (const phase of [0, 1, 2]) {
      const records = state.components.filter((record) => record.definition.phase === phase);
      await Promise.all(records.map((record) => startComponent(paths, state, record, options.progress)));
    }
    if (state.network) {
      await configureProxies(state);
      options.progress.line(
        `toxiproxy: every API server behind a proxy, latency profile ${state.network.profile}`,
      );
    }
    await Promise.all([
      prepareOpenBao(state),
      ...clusters.map(async (cluster) => {
        await registerNodes(paths, cluster, options.progress);
        await waitDefaultServiceAccount(paths, cluster);
      }),
    ]);
    if (flux) {
      await runFlux(flux, paths, state, (record) => startComponent(paths, state, record, options.progress));
    }
  } catch (error) {
    options.progress.line('a component failed: stopping everything started so far');
    await stopComponents(state.components);
    writeState(paths.state, state);
    throw error;
  }
  settleDaemons();
  return { alreadyRunning: false, state, seconds: (Date.now() - started) / 1000 };
}

/** Stops exactly the processes this sandbox started. Returns how many were running. */
export async function sandboxDown(dir: string): Promise<number> {
  const state = readState(sandboxPaths(dir).state);
  if (!state) return 0;
  const running = state.components.filter((record) => record.process && isRunning(record.process)).length;
  await stopComponents(state.components);
  return running;
}

export interface ComponentStatus {
  name: string;
  up: boolean;
  pid?: number;
  memoryBytes: number;
}

export async function sandboxStatus(
  dir: string,
): Promise<{ state: SandboxState; components: ComponentStatus[] }> {
  const state = requireState(dir);
  const components = await Promise.all(
    state.components.map(async (record) => {
      const running = record.process !== undefined && isRunning(record.process);
      return {
        name: record.definition.name,
        up: running && (await isHealthy(record.definition)),
        pid: running ? record.process?.pid : undefined,
        memoryBytes: running && record.process ? residentBytes(record.process.pid) : 0,
      };
    }),
  );
  return { state, components };
}

export interface ClusterSummary {
  name: string;
  server: string;
  /** The link through toxiproxy, e.g. "110±5 ms"; undefined without --latency. */
  latency?: string;
  version: string;
  nodes: { name: string; ready: boolean }[];
}

/** Each cluster's context, server version and nodes, as the API servers report them. */
export async function describeClusters(dir: string): Promise<ClusterSummary[]> {
  const state = requireState(dir);
  const paths = sandboxPaths(dir);
  return Promise.all(
    state.ports.clusters.map(async (cluster) => {
      const kube = target(paths, cluster.name);
      const [version, nodes] = await Promise.all([serverVersion(kube), listNodes(kube)]);
      const link = state.network?.links[cluster.name];
      return {
        name: cluster.name,
        server: clientServer(state, cluster.name),
        latency: link ? describeLink(link.link, link.faults) : undefined,
        version: version.gitVersion,
        nodes: nodes.map((node) => ({ name: node.name, ready: node.ready })),
      };
    }),
  );
}

/** Shell exports that make a shell ready to use the sandbox. */
export function sandboxEnvironment(dir: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const state = requireState(dir);
  const paths = sandboxPaths(dir);
  return {
    KUBECONFIG: paths.kubeconfig,
    VAULT_ADDR: `http://127.0.0.1:${state.ports.openbao}`,
    VAULT_TOKEN: OPENBAO_ROOT_TOKEN,
    REGATTA_CHARTMUSEUM_URL: `http://127.0.0.1:${state.ports.chartmuseum}`,
    REGATTA_OCI_REGISTRY: `127.0.0.1:${state.ports.registry}`,
    ...(state.flux ? { REGATTA_GIT_URL: `http://127.0.0.1:${state.flux.ports.git}` } : {}),
    // Evaluating the exports twice must not stack the sandbox's bin folder twice.
    PATH: [paths.bin, ...(env.PATH ?? '').split(':').filter((entry) => entry && entry !== paths.bin)].join(
      ':',
    ),
  };
}

function apiServerRecord(state: SandboxState, cluster: string): ComponentRecord {
  const record = state.components.find((r) => r.definition.name === `${cluster}/kube-apiserver`);
  if (!record) {
    throw new UserError(`no cluster named ${cluster} in this sandbox`, {
      hint: `clusters: ${state.clusters.join(', ')}`,
    });
  }
  return record;
}

/** Fault injection: takes one cluster's API server down; its data stays in etcd. */
export async function stopCluster(dir: string, cluster: string): Promise<void> {
  const state = requireState(dir);
  const record = apiServerRecord(state, cluster);
  await setClusterReachable(state, cluster, false);
  if (record.process) await stopProcess(record.process);
}

/**
 * Brings a stopped cluster's API server back with the same flags, ports and data, then restarts
 * its controller-manager, scheduler and kwok, as a control plane coming back would: theirs kept
 * watching a dead server, met "forbidden" while its authorizer warmed up, and back off for tens
 * of seconds before they schedule or run a Pod again.
 */
export async function startCluster(dir: string, cluster: string, progress: Progress): Promise<void> {
  const state = requireState(dir);
  const record = apiServerRecord(state, cluster);
  if (record.process && isRunning(record.process)) {
    progress.line(`${cluster}: API server already running`);
  } else {
    const paths = sandboxPaths(dir);
    // Its port may have been taken while it was down (another sandbox on this machine): then a
    // client would reach someone else's API server. Say so instead.
    const port = state.ports.clusters[state.clusters.indexOf(cluster)]?.apiserver;
    if (port !== undefined && !(await localPortProbe.isFree(port)))
      throw new DeployError(
        `${cluster}: its API server port ${port} was taken by another process while it was down`,
        {
          hint: `free port ${port}, or start a fresh sandbox (\`regatta sandbox down\`, then \`up\`)`,
        },
      );
    await startComponent(paths, state, record, progress);
    const dependents = state.components.filter(
      (r) => r !== record && r.definition.name.startsWith(`${cluster}/`),
    );
    // Until its authorizer lets the scheduler in, a restarted controller would meet "forbidden"
    // and back off for tens of seconds again.
    const schedulerKubeconfig = paths.cluster(cluster).schedulerKubeconfig;
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    while (!(await canListPods(schedulerKubeconfig)) && Date.now() < deadline) await sleep(200);
    await stopComponents(dependents);
    for (const dependent of dependents) await startComponent(paths, state, dependent, progress);
    // Healthy is not yet working: a restarted controller or scheduler can sit on an informer
    // that met "forbidden" for a while before it acts. Back only once a Deployment runs again.
    const admin = paths.cluster(cluster).adminKubeconfig;
    const probe = `regatta-probe-${Date.now().toString(36)}`;
    for (;;) {
      if (await probeDeploymentRuns(admin, probe)) break;
      if (Date.now() > deadline)
        throw new DeployError(
          `${cluster}: its API server is back, but no Deployment became available within ${HEALTH_TIMEOUT_MS / 1000}s`,
          {
            hint: `see ${paths.logs} (kube-controller-manager, kube-scheduler, kwok)`,
          },
        );
      await sleep(500);
    }
    progress.line(`${cluster}: runs workloads again`);
  }
  await setClusterReachable(state, cluster, true);
  settleDaemons();
}
