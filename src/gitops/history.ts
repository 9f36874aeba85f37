import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutBranch, logCommits, type LoggedCommit } from '../adapters/git.js';

/** One Regatta commit of a fleet branch: what happened, by whom, when. */
export interface GitopsHistoryEntry {
  deployId: string;
  kind: 'deploy' | 'pause' | 'revert' | 'rollback';
  /** A deploy's wave; a pause's next wave (waiting for its approval). */
  wave?: string;
  rollbackTo?: string;
  /** A deploy whose commits a later revert undid. */
  reverted: boolean;
  author: string;
  date: string;
  commit: string;
  subject: string;
}

const trailer = (message: string, key: string) =>
  message.match(new RegExp(`^${key}: (.+)$`, 'm'))?.[1]?.trim();

/**
 * Pure: a fleet branch's log (newest first) as deploy history — Regatta's commits only, each
 * deploy marked reverted when a revert commit of the same deploy id follows it.
 */
export function gitopsHistory(log: readonly LoggedCommit[]): GitopsHistoryEntry[] {
  const reverted = new Set<string>();
  const entries: GitopsHistoryEntry[] = [];
  for (const commit of log) {
    const subject = commit.message.split('\n')[0] ?? '';
    const kind = subject.match(/^regatta (deploy|pause|revert|rollback) /)?.[1] as
      GitopsHistoryEntry['kind'] | undefined;
    const deployId = trailer(commit.message, 'Regatta-Deploy-Id');
    if (!kind || !deployId) continue;
    if (kind === 'revert') reverted.add(deployId);
    const wave = trailer(commit.message, kind === 'pause' ? 'Regatta-Paused-Before' : 'Regatta-Wave');
    const rollbackTo = trailer(commit.message, 'Regatta-Rollback-To');
    entries.push({
      deployId,
      kind,
      ...(wave ? { wave } : {}),
      ...(rollbackTo ? { rollbackTo } : {}),
      reverted: kind === 'deploy' && reverted.has(deployId),
      author: commit.author,
      date: commit.date,
      commit: commit.commit,
      subject,
    });
  }
  return entries;
}

/**
 * Pure: the deploy paused at a manual approval on this branch, if any — the newest Regatta commit
 * is its pause. Any later deploy, revert or rollback commit supersedes the pause.
 */
export function pausedDeploy(history: readonly GitopsHistoryEntry[]): GitopsHistoryEntry | undefined {
  const [newest] = history;
  return newest?.kind === 'pause' ? newest : undefined;
}

/** Pure: a deploy's wave commits on the branch, newest first (what a revert of it undoes). */
export function deployCommits(
  history: readonly GitopsHistoryEntry[],
  deployId: string,
): GitopsHistoryEntry[] {
  return history.filter((entry) => entry.kind === 'deploy' && entry.deployId === deployId);
}

/**
 * Pure: for `rollback --previous`, in one release's history (newest first): the last deploy that
 * was not reverted before the one live now. The live one is the newest deploy not reverted, or
 * what the newest rollback returned to, whichever is newer.
 */
export function previousDeploy(history: readonly GitopsHistoryEntry[]): string | undefined {
  let live: string | undefined;
  let since = history.length;
  for (const [index, entry] of history.entries()) {
    if (entry.kind === 'rollback' && entry.rollbackTo) {
      live = entry.rollbackTo;
      since = history.findIndex((e, i) => i > index && e.kind === 'deploy' && e.deployId === live);
      break;
    }
    if (entry.kind === 'deploy' && !entry.reverted) {
      live = entry.deployId;
      since = index;
      break;
    }
  }
  if (live === undefined || since < 0) return undefined;
  return history.slice(since).find((e) => e.kind === 'deploy' && !e.reverted && e.deployId !== live)
    ?.deployId;
}

/** Git pathspecs of one release's HelmRelease files in every cluster folder (`name` or `name.namespace`). */
export const releasePathspec = (release: string) =>
  `:(glob)clusters/*/releases/${release.includes('.') ? `${release}.yaml` : `${release}.*.yaml`}`;

/** The history of a fleet branch, or of one release's files in it (`release.namespace`). */
export async function readGitopsHistory(
  remote: { repo: string; branch: string },
  release?: string,
): Promise<GitopsHistoryEntry[]> {
  const work = mkdtempSync(join(tmpdir(), 'regatta-gitops-'));
  try {
    const checkout = join(work, 'checkout');
    await checkoutBranch(remote.repo, remote.branch, checkout);
    const all = gitopsHistory(await logCommits(checkout));
    if (!release) return all;
    const entries = gitopsHistory(await logCommits(checkout, [releasePathspec(release)]));
    // A pause is an empty commit, so no file's log has it: shown when its deploy touched this release.
    const paused = pausedDeploy(all);
    return paused && entries.some((e) => e.deployId === paused.deployId) ? [paused, ...entries] : entries;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
