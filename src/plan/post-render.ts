import { appendFileSync } from 'node:fs';
import type { ReplicaCount } from '../model/release.js';
import { applyReplicaCounts } from './scaling.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Helm post-renderer entry (assets/helm-plugins/regatta-scale/post-render). */
export async function runPostRender(args: readonly string[]): Promise<number> {
  const replicas = JSON.parse(args[0] ?? '[]') as ReplicaCount[];
  const scaled = applyReplicaCounts(await readStdin(), replicas);
  if (scaled.missing.length > 0) {
    process.stderr.write(`regatta-scale: no Deployment or StatefulSet named ${scaled.missing.join(', ')}\n`);
    return 1;
  }
  process.stdout.write(scaled.manifest);
  recordTiming(process.env);
  return 0;
}

/** Adds "START END" (ns since the epoch) where the shell wrapper was asked to (see there). */
function recordTiming(env: NodeJS.ProcessEnv): void {
  const file = env.REGATTA_POST_RENDER_TIMING;
  const started = env.REGATTA_POST_RENDER_STARTED;
  if (!file || !started) return;
  try {
    appendFileSync(file, `${started} ${BigInt(Date.now()) * 1_000_000n}\n`);
  } catch {
    // a timing is not worth failing a deploy for
  }
}
