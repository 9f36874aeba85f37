import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ProcessIdentity } from '../adapters/process.js';
import { UserError } from '../errors.js';
import type { ComponentDefinition, SandboxPorts } from './components.js';
import type { LinkLatency } from './latency.js';
import { sandboxPaths } from './layout.js';
import type { ActiveFaults } from './toxics.js';
import type { FluxState } from './flux.js';

export interface ComponentRecord {
  definition: ComponentDefinition;
  /** The process started for it, when one was started. */
  process?: ProcessIdentity;
}

/** One cluster's link through toxiproxy: the profile's latency and the faults in force. */
export interface LinkRecord {
  link: LinkLatency;
  faults: ActiveFaults;
}

/** `up --latency`: the profile it was started with and each cluster's link. */
export interface SandboxNetwork {
  profile: string;
  links: Record<string, LinkRecord>;
}

/** What `up` started, so `down`, `status` and `start-cluster` act on exactly that. */
export interface SandboxState {
  version: 1;
  dir: string;
  createdAt: string;
  clusters: string[];
  ports: SandboxPorts;
  binaries: Record<string, string>;
  components: ComponentRecord[];
  /** Absent without --latency (or with --latency none): clients talk to the API servers directly. */
  network?: SandboxNetwork;
  /** Present when started with --flux: the git server and each cluster's Flux controllers. */
  flux?: FluxState;
}

export function readState(file: string): SandboxState | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
}

export function writeState(file: string, state: SandboxState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

export function requireState(dir: string): SandboxState {
  const state = readState(sandboxPaths(dir).state);
  if (!state) {
    throw new UserError(`no sandbox in ${dir}`, {
      hint: 'start one with `regatta sandbox up` (or pass --dir)',
    });
  }
  return state;
}
