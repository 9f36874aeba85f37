import { UserError } from '../errors.js';
import { ProcessError, run } from './process.js';

/** The short commit of a git checkout, or undefined outside one. */
export async function currentCommit(cwd: string): Promise<string | undefined> {
  try {
    return (await run('git', ['rev-parse', '--short=8', 'HEAD'], { cwd })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function git(cwd: string, args: string[]): Promise<string> {
  return (await run('git', args, { cwd })).stdout.trim();
}

export async function currentBranch(cwd: string): Promise<string> {
  return git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']);
}

export async function repositoryRoot(cwd: string): Promise<string> {
  try {
    return await git(cwd, ['rev-parse', '--show-toplevel']);
  } catch (error) {
    if (error instanceof ProcessError) {
      throw new UserError('this folder is not in a git checkout', {
        position: { file: cwd },
        hint: 'run the chart pipeline inside the repository that holds the charts',
      });
    }
    throw error;
  }
}

/** Git's empty tree: the base of a repository's first commit (everything in it changed). */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** The merge base of HEAD and a ref, or undefined when they share no history (or the ref is unknown). */
export async function mergeBase(cwd: string, ref: string): Promise<string | undefined> {
  try {
    return await git(cwd, ['merge-base', 'HEAD', ref]);
  } catch {
    return undefined;
  }
}

/** Whether the checkout is shallow (CI's default): history, and so merge bases, may be missing. */
export async function isShallow(cwd: string): Promise<boolean> {
  return (await git(cwd, ['rev-parse', '--is-shallow-repository'])) === 'true';
}

/** Whether a ref (or REF~1) names a commit present in this checkout. */
export async function hasCommit(cwd: string, ref: string): Promise<boolean> {
  try {
    await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** Files changed since a ref (committed or not), relative to the repository root. */
export async function changedFiles(cwd: string, base: string): Promise<string[]> {
  const output = await git(cwd, ['diff', '--name-only', base]);
  const untracked = await git(cwd, ['ls-files', '--others', '--exclude-standard']);
  return [...output.split('\n'), ...untracked.split('\n')].filter(Boolean);
}

export async function commitFiles(cwd: string, files: readonly string[], message: string): Promise<void> {
  await git(cwd, ['add', '--', ...files]);
  await git(cwd, ['commit', '-m', message]);
}
