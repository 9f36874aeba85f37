import { run } from './process.js';

/** The short commit of a git checkout, or undefined outside one. */
export async function currentCommit(cwd: string): Promise<string | undefined> {
  try {
    return (await run('git', ['rev-parse', '--short=8', 'HEAD'], { cwd })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}
