import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ProcessIdentity } from '../adapters/process.js';
import type { ComponentDefinition, SandboxPorts } from './components.js';
import type { FluxState } from './flux.js';

export interface ComponentRecord {
  definition: ComponentDefinition;
  /** The process started for it, when one was started. */
  process?: ProcessIdentity;
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
