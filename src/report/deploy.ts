import type { Plan } from '../model/plan.js';
import type { DeployReport } from '../deploy/execute.js';
import type { RollbackOutcome } from '../deploy/rollback.js';
import type { HistoryEntry, StatusMatrix } from '../deploy/status.js';
import { renderTable } from './table.js';

export function renderPlan(plan: Plan): string {
  const rows = plan.entries.map((entry) => [
    `${entry.target.release}.${entry.target.namespace}`,
    entry.target.cluster,
    `${entry.target.chartName} ${entry.target.chartVersion}`,
    entry.action,
    entry.target.replicas.map((r) => `${r.name}=${r.count}`).join(' ') || '-',
    entry.target.secretIds.join(' ') || '-',
    entry.action === 'upgrade'
      ? entry.reasons.join('; ')
      : entry.action === 'unchanged'
        ? `revision ${entry.currentRevision}`
        : '',
  ]);
  const changes = plan.entries.filter((e) => e.action !== 'unchanged').length;
  return `${renderTable(['RELEASE', 'CLUSTER', 'CHART', 'ACTION', 'REPLICAS', 'SECRETS', 'WHY'], rows)}\n${changes} to change, ${plan.entries.length - changes} unchanged`;
}

export function planJson(plan: Plan): unknown {
  return {
    entries: plan.entries.map((entry) => ({
      release: entry.target.release,
      namespace: entry.target.namespace,
      environment: entry.target.environment,
      cluster: entry.target.cluster,
      chart: entry.target.chartName,
      chartVersion: entry.target.chartVersion,
      action: entry.action,
      currentRevision: entry.currentRevision,
      replicas: entry.target.replicas,
      secrets: entry.target.secretIds,
      reasons: entry.reasons,
    })),
  };
}

export function renderDeployReport(report: DeployReport): string {
  const rows = report.outcomes.map((o) => [
    o.entry.target.cluster,
    `${o.entry.target.release}.${o.entry.target.namespace}`,
    o.entry.action,
    o.status,
    o.revision === undefined ? '-' : String(o.revision),
    o.previousRevision === undefined ? '-' : String(o.previousRevision),
    [o.error, o.rollbackError && `rollback: ${o.rollbackError}`].filter(Boolean).join('; '),
  ]);
  return `deploy ${report.deployId}\n${renderTable(['CLUSTER', 'RELEASE', 'ACTION', 'RESULT', 'REVISION', 'BEFORE', 'DETAIL'], rows)}`;
}

export function deployReportJson(report: DeployReport): unknown {
  return {
    deployId: report.deployId,
    rolledBack: report.rolledBack,
    outcomes: report.outcomes.map((o) => ({
      cluster: o.entry.target.cluster,
      release: o.entry.target.release,
      namespace: o.entry.target.namespace,
      action: o.entry.action,
      status: o.status,
      revision: o.revision,
      previousRevision: o.previousRevision,
      error: o.error,
      rollbackError: o.rollbackError,
      seconds: o.seconds,
    })),
  };
}

export function renderStatus(matrix: StatusMatrix): string {
  const rows = matrix.releases.map((row) => [
    `${row.release}.${row.namespace}`,
    ...matrix.clusters.map((cluster) => {
      if (matrix.unreachable[cluster]) return 'unreachable';
      const cell = row.cells[cluster];
      return cell ? `${cell.chartVersion} r${cell.revision} ${cell.status} ${cell.deployId ?? '-'}` : '-';
    }),
  ]);
  return renderTable(['RELEASE', ...matrix.clusters], rows);
}

export function renderHistory(entries: readonly HistoryEntry[], clusters: readonly string[]): string {
  return renderTable(
    ['DEPLOY', ...clusters],
    entries.map((entry) => [
      entry.deployId,
      ...clusters.map((cluster) => {
        const cell = entry.clusters[cluster];
        return cell ? `${cell.chartVersion} r${cell.revision} ${cell.status}` : '-';
      }),
    ]),
  );
}

export function renderRollback(deployId: string, outcomes: readonly RollbackOutcome[]): string {
  return `rollback to ${deployId}\n${renderTable(
    ['CLUSTER', 'RESULT', 'FROM', 'TO', 'DETAIL'],
    outcomes.map((o) => [
      o.cluster,
      o.status,
      String(o.fromRevision ?? '-'),
      String(o.toRevision),
      o.error ?? '',
    ]),
  )}`;
}
