import { UserError } from '../errors.js';
import { lastNonEmptyLines, ProcessError, run } from './process.js';

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

/** The URL a remote of a checkout fetches from, or undefined when it has no such remote. */
export async function remoteUrl(cwd: string, remote = 'origin'): Promise<string | undefined> {
  try {
    return (await git(cwd, ['remote', 'get-url', remote])) || undefined;
  } catch {
    return undefined;
  }
}

/** Who commits when the checkout's git has no identity configured (a fresh CI runner, a temp clone). */
const FALLBACK_IDENTITY = ['-c', 'user.name=Regatta', '-c', 'user.email=regatta@localhost'];

async function identityArgs(cwd: string): Promise<string[]> {
  try {
    await git(cwd, ['config', 'user.email']);
    return [];
  } catch {
    return FALLBACK_IDENTITY;
  }
}

/**
 * A working copy of one branch of a repository in `dir` (which must not exist). A repository or
 * branch that does not exist yet gives an empty checkout on that branch, pushed on first commit.
 */
export async function checkoutBranch(url: string, branch: string, dir: string): Promise<void> {
  const heads = await run('git', ['ls-remote', '--heads', url, branch]);
  if (heads.stdout.trim()) {
    await run('git', ['clone', '--quiet', '--single-branch', '--branch', branch, url, dir]);
    return;
  }
  await run('git', ['init', '--quiet', `--initial-branch=${branch}`, dir]);
  await git(dir, ['remote', 'add', 'origin', url]);
}

/** What committing `paths` now would change: each file's status (A, M, D) and the patch. */
export async function pendingChanges(
  cwd: string,
  paths: readonly string[],
): Promise<{ files: { status: string; path: string }[]; patch: string }> {
  await git(cwd, ['add', '--all', '--', ...paths]);
  const listed = await git(cwd, ['diff', '--cached', '--name-status', '--', ...paths]);
  const patch = (await run('git', ['diff', '--cached', '--', ...paths], { cwd })).stdout;
  const files = listed
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status = '', path = ''] = line.split('\t');
      return { status, path };
    });
  return { files, patch };
}

/** Commits everything changed under `paths`; the new commit, or undefined when nothing changed. */
export async function commitPaths(
  cwd: string,
  paths: readonly string[],
  message: string,
): Promise<string | undefined> {
  await git(cwd, ['add', '--all', '--', ...paths]);
  const staged = await run('git', ['diff', '--cached', '--quiet'], { cwd }).then(
    () => false,
    () => true,
  );
  if (!staged) return undefined;
  await git(cwd, [...(await identityArgs(cwd)), 'commit', '--quiet', '-m', message]);
  return git(cwd, ['rev-parse', 'HEAD']);
}

/** A commit that changes no file: a record in the log (a pause, say). Returns it. */
export async function commitEmpty(cwd: string, message: string): Promise<string> {
  await git(cwd, [...(await identityArgs(cwd)), 'commit', '--quiet', '--allow-empty', '-m', message]);
  return git(cwd, ['rev-parse', 'HEAD']);
}

/** Every file path the given commits change. */
export async function pathsChangedBy(cwd: string, commits: readonly string[]): Promise<string[]> {
  const paths = new Set<string>();
  for (const commit of commits)
    for (const path of (await git(cwd, ['show', '--name-only', '--format=', commit])).split('\n'))
      if (path) paths.add(path);
  return [...paths].sort();
}

/** Reverts commits (newest first) in one commit with a message of our own; returns it. */
export async function revertCommits(
  cwd: string,
  commits: readonly string[],
  message: string,
): Promise<string> {
  // Newest first: each revert applies over the state the later commits left.
  try {
    await git(cwd, [...(await identityArgs(cwd)), 'revert', '--no-edit', '--no-commit', ...commits]);
  } catch (error) {
    if (!(error instanceof ProcessError)) throw error;
    await run('git', ['revert', '--abort'], { cwd }).catch(() => undefined);
    throw new RevertConflictError(commits, error.result.stderr);
  }
  await git(cwd, [...(await identityArgs(cwd)), 'commit', '--quiet', '-m', message]);
  return git(cwd, ['rev-parse', 'HEAD']);
}

/** Later commits changed the same lines: git cannot undo these commits on top of them. */
export class RevertConflictError extends Error {
  constructor(commits: readonly string[], stderr: string) {
    super(
      `cannot revert ${commits.map((c) => c.slice(0, 8)).join(', ')}: later commits changed the same files (${lastNonEmptyLines(stderr, 1)})`,
    );
    this.name = 'RevertConflictError';
  }
}

/**
 * The fleet branch moved under us and our commits do not replay on top of it (the same files
 * changed): nothing of ours was pushed, and the checkout now holds the branch as it is.
 */
export class BranchMovedError extends Error {
  constructor(
    readonly branch: string,
    detail: string,
  ) {
    super(`${branch} moved meanwhile and conflicts with this change (${detail})`);
    this.name = 'BranchMovedError';
  }
}

const REJECTED = /\[rejected\]|non-fast-forward|fetch first/;

/**
 * Pushes HEAD to the branch and returns the commit pushed. When someone pushed meanwhile, our
 * unpushed commits are replayed on top (another deploy of other files, a reviewer's commit) and
 * pushed again, a few times; commits that no longer apply throw BranchMovedError.
 */
export async function pushBranch(cwd: string, branch: string, attempts = 3): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      await git(cwd, ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
      return await git(cwd, ['rev-parse', 'HEAD']);
    } catch (error) {
      if (!(error instanceof ProcessError) || !REJECTED.test(error.result.stderr)) throw error;
    }
    await git(cwd, ['fetch', '--quiet', 'origin', branch]);
    const moved = await git(cwd, ['log', '-1', '--format=%h %an: %s', 'FETCH_HEAD']);
    const replayed = await git(cwd, [...(await identityArgs(cwd)), 'rebase', '--quiet', 'FETCH_HEAD']).then(
      () => true,
      () => false,
    );
    if (!replayed || attempt >= attempts) {
      await run('git', ['rebase', '--abort'], { cwd }).catch(() => undefined);
      await git(cwd, ['reset', '--quiet', '--hard', 'FETCH_HEAD']);
      throw new BranchMovedError(branch, `newest: ${moved}`);
    }
  }
}

/** One commit of a log, as git prints it. */
export interface LoggedCommit {
  commit: string;
  author: string;
  /** ISO 8601. */
  date: string;
  message: string;
}

/** The branch's newest commit on the remote, fetched now (others may have pushed since our checkout). */
export async function fetchBranch(cwd: string, branch: string): Promise<string> {
  await git(cwd, ['fetch', '--quiet', 'origin', branch]);
  return git(cwd, ['rev-parse', 'FETCH_HEAD']);
}

/** A ref's commits (default HEAD), newest first, that touch any of `paths` (git pathspecs; none: all). */
export async function logCommits(
  cwd: string,
  paths: readonly string[] = [],
  ref = 'HEAD',
): Promise<LoggedCommit[]> {
  const out = await git(cwd, ['log', '--format=%H%x1f%an%x1f%aI%x1f%B%x1e', ref, '--', ...paths]).catch(
    () => '', // a branch with no commit yet
  );
  return out
    .split('\x1e')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [commit = '', author = '', date = '', message = ''] = record.split('\x1f');
      return { commit, author, date, message: message.trim() };
    });
}

/** The newest commit of HEAD whose message has a line matching `pattern` (git's basic regex), if any. */
export async function findCommit(cwd: string, pattern: string): Promise<string | undefined> {
  return (await git(cwd, ['log', '-n', '1', '--format=%H', `--grep=${pattern}`])) || undefined;
}

/** Every file under the given folders in a commit. */
export async function filesInCommit(
  cwd: string,
  commit: string,
  folders: readonly string[],
): Promise<string[]> {
  const listed = await git(cwd, ['ls-tree', '-r', '--name-only', commit, '--', ...folders]).catch(() => '');
  return listed.split('\n').filter(Boolean);
}

/** The paths (folders or files) that exist in a commit, among those given. */
export async function pathsInCommit(
  cwd: string,
  commit: string,
  paths: readonly string[],
): Promise<string[]> {
  const listed = await git(cwd, ['ls-tree', '--name-only', commit, '--', ...paths]);
  return listed.split('\n').filter(Boolean);
}

/** A file as a commit holds it; undefined when the commit has no such file. */
export async function fileAtCommit(cwd: string, commit: string, path: string): Promise<string | undefined> {
  return run('git', ['show', `${commit}:${path}`], { cwd }).then(
    (result) => result.stdout,
    () => undefined,
  );
}

/** Makes `paths` of the working tree and index what they were in `commit`. */
export async function restorePaths(cwd: string, commit: string, paths: readonly string[]): Promise<void> {
  if (paths.length > 0) await git(cwd, ['checkout', commit, '--', ...paths]);
}
