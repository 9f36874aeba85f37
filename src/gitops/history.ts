import { logCommits, type LoggedCommit } from '../adapters/git.js';
import { withBranchCheckout } from './checkout.js';

/** One Regatta commit of a fleet branch: what happened, by whom, when. */
export interface GitopsHistoryEntry {
  deployId: string;
  kind: 'deploy' | 'pause' | 'resume' | 'revert' | 'rollback';
  /** A deploy's wave; a pause's next wave (waiting for its approval); the wave a resume approved. */
  wave?: string;
  /** The environment the commit is for (`Regatta-Environment:`; absent in older rollbacks). */
  environment?: string;
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
    const kind = subject.match(/^regatta (deploy|pause|resume|revert|rollback) /)?.[1] as
      GitopsHistoryEntry['kind'] | undefined;
    const deployId = trailer(commit.message, 'Regatta-Deploy-Id');
    if (!kind || !deployId) continue;
    if (kind === 'revert') reverted.add(deployId);
    const wave = trailer(
      commit.message,
      kind === 'pause'
        ? 'Regatta-Paused-Before'
        : kind === 'resume'
          ? 'Regatta-Approved-Before'
          : 'Regatta-Wave',
    );
    const environment = trailer(commit.message, 'Regatta-Environment');
    const rollbackTo = trailer(commit.message, 'Regatta-Rollback-To');
    entries.push({
      deployId,
      kind,
      ...(wave ? { wave } : {}),
      ...(rollbackTo ? { rollbackTo } : {}),
      ...(environment ? { environment } : {}),
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
 * Pure: the deploy of this environment paused at a manual approval on this branch, if any — the
 * newest Regatta commit for the environment is its pause. Its resume or revert ends the pause;
 * a deploy or rollback cannot start meanwhile (they refuse), so the pause holds until then.
 */
export function pausedDeploy(
  history: readonly GitopsHistoryEntry[],
  environment: string,
): GitopsHistoryEntry | undefined {
  const newest = history.find((entry) => !entry.environment || entry.environment === environment);
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
 * Pure: for `rollback --previous`, in one release's history (newest first): what ran before the
 * live one. The live one is the newest deploy not reverted, or what the newest rollback returned
 * to, whichever is newer. Before a live deploy ran what the entry before it left: the deploy
 * before it (not reverted), or the deploy a rollback before it returned to. Before a deploy that
 * a rollback made live again ran, likewise, what preceded that deploy's own commits.
 */
export function previousDeploy(history: readonly GitopsHistoryEntry[]): string | undefined {
  const liveAt = history.findIndex(
    (e) => (e.kind === 'rollback' && e.rollbackTo) || (e.kind === 'deploy' && !e.reverted),
  );
  if (liveAt < 0) return undefined;
  const liveEntry = history[liveAt]!;
  const live = liveEntry.kind === 'rollback' ? liveEntry.rollbackTo! : liveEntry.deployId;
  // Where the live deploy's own commits end (a rollback's target: its commits further down).
  const from =
    liveEntry.kind === 'rollback'
      ? history.findIndex((e, i) => i > liveAt && e.kind === 'deploy' && e.deployId === live)
      : liveAt;
  if (from < 0) return undefined;
  for (const entry of history.slice(from + 1)) {
    if (entry.kind === 'deploy' && entry.deployId === live) continue;
    if (entry.kind === 'rollback' && entry.rollbackTo && entry.rollbackTo !== live) return entry.rollbackTo;
    if (entry.kind === 'deploy' && !entry.reverted) return entry.deployId;
  }
  return undefined;
}

/** Git pathspecs of one release's HelmRelease files in every cluster folder (`name` or `name.namespace`). */
export const releasePathspec = (release: string) =>
  `:(glob)clusters/*/releases/${release.includes('.') ? `${release}.yaml` : `${release}.*.yaml`}`;

/** The history of a fleet branch, or of one release's files in it (`release.namespace`). */
export async function readGitopsHistory(
  remote: { repo: string; branch: string },
  environment: string,
  release?: string,
): Promise<GitopsHistoryEntry[]> {
  return withBranchCheckout(remote, async (checkout) => {
    const all = gitopsHistory(await logCommits(checkout));
    if (!release) return all;
    const entries = gitopsHistory(await logCommits(checkout, [releasePathspec(release)]));
    // A pause is an empty commit, so no file's log has it: shown when its deploy touched this release.
    const paused = pausedDeploy(all, environment);
    return paused && entries.some((e) => e.deployId === paused.deployId) ? [paused, ...entries] : entries;
  });
}

/** The deploy of this environment paused at an approval on the fleet branch, if any (what `status` warns of). */
export async function readPausedDeploy(
  remote: { repo: string; branch: string },
  environment: string,
): Promise<GitopsHistoryEntry | undefined> {
  return withBranchCheckout(remote, async (checkout) =>
    pausedDeploy(gitopsHistory(await logCommits(checkout)), environment),
  );
}
