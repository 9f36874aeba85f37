import type { GitopsStatusRow } from '../gitops/status.js';
import type { GitopsDeployReport } from '../gitops/deploy.js';
import type { GitopsAbortReport } from '../gitops/abort.js';
import type { GitopsRollbackReport } from '../gitops/rollback.js';
import type { GitopsHistoryEntry } from '../gitops/history.js';
import type { GitopsPlan } from '../gitops/run.js';
import type { TargetOutcome } from '../gitops/watch.js';
import { renderTable } from './table.js';

export function renderGitopsDeploy(report: GitopsDeployReport): string {
  if (report.waves.every((w) => w.state === 'unchanged')) return `deploy ${report.deployId}: nothing changed`;
  const waves = renderTable(
    ['WAVE', 'CLUSTERS', 'COMMIT', 'STATE', 'REASON'],
    report.waves.map((w) => [
      w.name,
      w.clusters.join(', '),
      w.commit?.slice(0, 8) ?? '-',
      w.state,
      w.reason ?? '',
    ]),
  );
  const revert = report.revert
    ? `\nreverted in ${report.revert.slice(0, 8)}${report.revertConverged ? '' : ' (not every cluster back yet)'}`
    : '';
  const paused = report.pausedBefore
    ? `\npaused before wave ${report.pausedBefore} (recorded in git): approve with \`regatta deploy --resume ${report.deployId}\` and the same release files, or undo with \`regatta abort ${report.deployId}\``
    : '';
  return `deploy ${report.deployId}\n${waves}\n\n${outcomeTable(report.outcomes)}${revert}${paused}`;
}

function outcomeTable(outcomes: readonly TargetOutcome[]): string {
  return renderTable(
    ['RELEASE', 'CLUSTER', 'STATE', 'REASON'],
    outcomes.map((o) => [o.release, o.cluster, o.state, o.reason ?? '']),
  );
}

export function renderGitopsAbort(report: GitopsAbortReport): string {
  if (report.revertError) return `abort ${report.deployId}: not reverted (${report.revertError})`;
  if (!report.revert)
    return `abort ${report.deployId}: it had committed nothing before wave ${report.pausedBefore}; the pause is ended`;
  return `abort ${report.deployId}: its commits reverted in ${report.revert.slice(0, 8)}; ${report.revertConverged ? 'every cluster is back on last good' : 'not every cluster is back yet'}`;
}

export function renderGitopsRollback(report: GitopsRollbackReport): string {
  if (!report.commit) return `rollback ${report.deployId}: the branch already holds ${report.to}`;
  return `rollback ${report.deployId} to ${report.to} (${report.target.slice(0, 8)}): commit ${report.commit.slice(0, 8)}\n${outcomeTable(report.outcomes)}`;
}

export function renderGitopsStatus(
  rows: readonly GitopsStatusRow[],
  /** The deploy paused on the fleet branch, or why the branch could not be read. */
  paused?: GitopsHistoryEntry | { unreadable: string },
): string {
  const table = renderTable(
    ['RELEASE', 'CLUSTER', 'APPLIED', 'CHART', 'STATE', 'DRIFT', 'REASON'],
    rows.map((r) => [r.release, r.cluster, r.applied, r.chart, r.state, r.drift, r.reason]),
  );
  if (paused && 'unreadable' in paused) return `${table}\n(fleet branch not read: ${paused.unreadable})`;
  return paused
    ? `${table}\ndeploy ${paused.deployId} is paused before wave ${paused.wave ?? '?'} (${paused.author}, ${paused.date}): \`regatta deploy --resume ${paused.deployId}\` with the same release files, or \`regatta abort ${paused.deployId}\``
    : table;
}

export function renderGitopsHistory(entries: readonly GitopsHistoryEntry[]): string {
  return renderTable(
    ['DEPLOY', 'WHAT', 'WAVE', 'WHEN', 'WHO', 'COMMIT'],
    entries.map((e) => [
      e.deployId,
      e.kind === 'deploy'
        ? e.reverted
          ? 'deploy (REVERTED)'
          : 'deploy'
        : e.kind === 'rollback'
          ? `rollback to ${e.rollbackTo ?? '?'}`
          : e.kind === 'pause'
            ? 'paused for approval before'
            : 'revert',
      e.wave ?? '',
      e.date,
      e.author,
      e.commit.slice(0, 8),
    ]),
  );
}

const CHANGE: Record<string, string> = { A: 'add', M: 'change', D: 'remove' };

/** `plan` of a Flux environment: the waves, then per cluster the files a deploy would commit. */
export function renderGitopsPlan(plan: GitopsPlan): string {
  const waveOf = new Map(
    plan.waves.flatMap((w) =>
      w.clusters.map((c) => [c, `${w.approval ? '[approval] ' : ''}${w.name}`] as const),
    ),
  );
  const rows = plan.clusters.flatMap((c) =>
    c.files.length === 0
      ? [[waveOf.get(c.cluster) ?? '-', c.cluster, 'unchanged', '']]
      : c.files.map((f) => [
          waveOf.get(c.cluster) ?? '-',
          c.cluster,
          CHANGE[f.status[0] ?? ''] ?? f.status,
          f.path,
        ]),
  );
  const changed = plan.clusters.filter((c) => c.files.length > 0).length;
  return (
    `environment ${plan.environment} (engine: flux): a deploy commits to ${plan.branch} of ${plan.repo}, wave by wave\n` +
    `${renderTable(['WAVE', 'CLUSTER', 'CHANGE', 'FILE'], rows)}\n` +
    `${changed} of ${plan.clusters.length} clusters would change`
  );
}

/** `diff` of a Flux environment: per cluster, the unified diff a deploy would commit. */
export function renderGitopsDiff(plan: GitopsPlan): string {
  return plan.clusters
    .map(
      (c) =>
        `=== ${c.cluster}: ${c.files.length === 0 ? 'unchanged' : `${c.files.length} file(s)`}\n${c.patch}`,
    )
    .join('\n');
}
