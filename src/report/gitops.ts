import type { GitopsStatusRow } from '../gitops/status.js';
import type { GitopsDeployReport } from '../gitops/deploy.js';
import type { GitopsRollbackReport } from '../gitops/rollback.js';
import type { TargetOutcome } from '../gitops/watch.js';
import { renderTable } from './table.js';

export function renderGitopsDeploy(report: GitopsDeployReport): string {
  if (!report.commit) return `deploy ${report.deployId}: nothing changed`;
  const table = outcomeTable(report.outcomes);
  return `deploy ${report.deployId}: commit ${report.commit.slice(0, 8)}\n${table}`;
}

function outcomeTable(outcomes: readonly TargetOutcome[]): string {
  return renderTable(
    ['RELEASE', 'CLUSTER', 'STATE', 'REASON'],
    outcomes.map((o) => [o.release, o.cluster, o.state, o.reason ?? '']),
  );
}

export function renderGitopsRollback(report: GitopsRollbackReport): string {
  if (!report.commit) return `rollback ${report.deployId}: the branch already holds ${report.to}`;
  return `rollback ${report.deployId} to ${report.to} (${report.target.slice(0, 8)}): commit ${report.commit.slice(0, 8)}\n${outcomeTable(report.outcomes)}`;
}

export function renderGitopsStatus(rows: readonly GitopsStatusRow[]): string {
  return renderTable(
    ['RELEASE', 'CLUSTER', 'APPLIED', 'CHART', 'STATE', 'REASON'],
    rows.map((r) => [r.release, r.cluster, r.applied, r.chart, r.state, r.reason]),
  );
}
