import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's root (holds peers/ and assets/), from dist/src/paths.js, src/paths.ts or
 * the command line's bundle (dist/cli/*.js): each two folders below it.
 */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function peersDir(): string {
  return join(packageRoot, 'peers');
}

export function assetsDir(): string {
  return join(packageRoot, 'assets');
}

/** Built and extracted binaries live here, outside any checkout, so every clone shares them. */
export function cacheRoot(env: NodeJS.ProcessEnv): string {
  if (env.REGATTA_CACHE_DIR) return env.REGATTA_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'regatta');
}
