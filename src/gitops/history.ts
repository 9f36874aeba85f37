import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutBranch, logCommits, type LoggedCommit } from '../adapters/git.js';

/** One Regatta commit of a fleet branch: what happened, by whom, when. */
export interface GitopsHistoryEntry {
  deployId: string;
  kind: 'deploy' | 'revert' | 'rollback';
  /** A deploy's wave; a rollback's target deploy. */
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
    const kind = subject.match(/^regatta (deploy|revert|rollback) /)?.[1] as
      GitopsHistoryEntry['kind'] | undefined;
    const deployId = trailer(commit.message, 'Regatta-Deploy-Id');
    if (!kind || !deployId) continue;
    if (kind === 'revert') reverted.add(deployId);
    const wave = trailer(commit.message, 'Regatta-Wave');
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

/** The history of a fleet branch, or of one release's files in it (`release.namespace`). */
export async function readGitopsHistory(
  remote: { repo: string; branch: string },
  release?: string,
): Promise<GitopsHistoryEntry[]> {
  const work = mkdtempSync(join(tmpdir(), 'regatta-gitops-'));
  try {
    const checkout = join(work, 'checkout');
    await checkoutBranch(remote.repo, remote.branch, checkout);
    const file = release?.includes('.') ? `${release}.yaml` : `${release}.*.yaml`;
    const paths = release ? [`:(glob)clusters/*/releases/${file}`] : [];
    return gitopsHistory(await logCommits(checkout, paths));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
