import type { Plan } from '../model/plan.js';
import type { PlannedWave } from '../plan/waves.js';
import type { DeployReport, Outcome } from '../model/outcome.js';
import type { RollbackOutcome } from '../deploy/rollback.js';
import type { HistoryEntry } from '../deploy/status.js';
import { renderTable } from './table.js';

/** The waves a deploy would go through, with each one's clusters and gates. */
function wavesLine(waves: readonly PlannedWave[]): string {
  if (waves.length <= 1 && waves[0]?.name === 'all') return '';
  const gates = (w: PlannedWave) =>
    [
      w.soakSeconds ? `soak ${w.soakSeconds}s` : '',
      w.checks.length ? `${w.checks.length} check(s)` : '',
      w.helmTests.length ? 'helm test' : '',
      w.maxParallel ? `${w.maxParallel} at once` : '',
    ].filter(Boolean);
  return `waves: ${waves
    .map(
      (w) =>
        `${w.approval ? '[approval] ' : ''}${w.name} [${w.clusters.join(', ')}]${gates(w).length ? ` (${gates(w).join(', ')})` : ''}`,
    )
    .join(' → ')}\n`;
}

export function renderPlan(plan: Plan, waves: readonly PlannedWave[] = []): string {
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
  return `${wavesLine(waves)}${renderTable(['RELEASE', 'CLUSTER', 'CHART', 'ACTION', 'REPLICAS', 'SECRETS', 'WHY'], rows)}\n${changes} to change, ${plan.entries.length - changes} unchanged`;
}

export function planJson(plan: Plan, waves: readonly PlannedWave[] = []): unknown {
  return {
    waves: waves.map((w) => ({
      name: w.name,
      clusters: w.clusters,
      soakSeconds: w.soakSeconds,
      checks: w.checks.map((c) => ({
        cluster: c.entry.target.cluster,
        release: c.entry.target.release,
        run: c.check.run,
      })),
      helmTest: w.helmTests.length > 0,
      maxParallel: w.maxParallel,
      approval: w.approval,
    })),
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

const detail = (o: Outcome) =>
  [
    o.recovered && `recovered: ${o.recovered}`,
    o.error,
    o.rolledBackTo !== undefined &&
      (o.rolledBackTo === 0 ? 'uninstalled' : `back on revision ${o.rolledBackTo}`),
    o.rollbackError && `rollback: ${o.rollbackError}`,
  ]
    .filter(Boolean)
    .join('; ');

export function renderDeployReport(report: DeployReport): string {
  const waved = (report.waves?.length ?? 0) > 1;
  const rows = report.outcomes.map((o) => [
    ...(waved ? [o.wave ?? '-'] : []),
    o.entry.target.cluster,
    `${o.entry.target.release}.${o.entry.target.namespace}`,
    o.entry.action,
    o.status,
    o.revision === undefined ? '-' : String(o.revision),
    o.previousRevision === undefined ? '-' : String(o.previousRevision),
    detail(o),
  ]);
  const why =
    report.cause === 'interrupt'
      ? ' (interrupted: rolled back)'
      : report.cause === 'failure'
        ? report.rolledBack
          ? ' (failed: rolled back)'
          : ' (failed)'
        : '';
  const header = [
    ...(waved ? ['WAVE'] : []),
    'CLUSTER',
    'RELEASE',
    'ACTION',
    'RESULT',
    'REVISION',
    'BEFORE',
    'DETAIL',
  ];
  const notes = [
    ...(report.emergency ?? []).map(
      (e) =>
        `EMERGENCY: ran with ${e === 'skip-gates' ? '--skip-gates' : `--wave ${e.replace(/^wave\./, '')}`}`,
    ),
    ...(report.wave
      ? [`wave ${report.wave} failed: ${report.reason ?? ''}; later waves were not touched`]
      : []),
    ...(report.pausedBefore
      ? [
          `paused before wave ${report.pausedBefore} (its lock is kept): approve with \`regatta deploy --resume ${report.deployId}\` and the same release files, or undo with \`regatta abort ${report.deployId}\``,
        ]
      : []),
  ];
  return `deploy ${report.deployId}${report.pausedBefore ? ' (paused)' : why}\n${renderTable(header, rows)}${notes.map((n) => `\n${n}`).join('')}`;
}

/** Where each target stands, for a run stopped at once by a second signal. */
export function renderOutcomeStates(outcomes: readonly Outcome[]): string {
  if (outcomes.length === 0) return 'no cluster was changed yet';
  return renderTable(
    ['CLUSTER', 'RELEASE', 'STATE', 'REVISION'],
    outcomes.map((o) => [
      o.entry.target.cluster,
      `${o.entry.target.release}.${o.entry.target.namespace}`,
      o.status === 'interrupted' ? 'in flight (helm stopped)' : o.status,
      String(o.revision ?? o.previousRevision ?? '-'),
    ]),
  );
}

export function renderAbort(
  deployId: string,
  outcomes: readonly (RollbackOutcome & { release: string })[],
): string {
  return `abort of ${deployId}\n${renderTable(
    ['CLUSTER', 'RELEASE', 'RESULT', 'FROM', 'TO', 'DETAIL'],
    outcomes.map((o) => [
      o.cluster,
      o.release,
      o.status === 'already-there' ? 'nothing to undo' : o.status,
      String(o.fromRevision ?? '-'),
      o.status === 'uninstalled' ? '-' : String(o.toRevision),
      o.error ?? '',
    ]),
  )}`;
}

export function renderRecovery(outcomes: readonly RollbackOutcome[]): string {
  return renderTable(
    ['CLUSTER', 'RESULT', 'FROM', 'TO', 'DETAIL'],
    outcomes.map((o) => [
      o.cluster,
      o.status === 'already-there' ? 'nothing to do' : o.status,
      String(o.fromRevision ?? '-'),
      o.status === 'uninstalled' ? '-' : String(o.toRevision),
      [o.recovered, o.error].filter(Boolean).join('; '),
    ]),
  );
}

export function deployReportJson(report: DeployReport): unknown {
  return {
    deployId: report.deployId,
    rolledBack: report.rolledBack,
    cause: report.cause,
    wave: report.wave,
    reason: report.reason,
    waves: report.waves,
    pausedBefore: report.pausedBefore,
    emergency: report.emergency,
    outcomes: report.outcomes.map((o) => ({
      wave: o.wave,
      cluster: o.entry.target.cluster,
      release: o.entry.target.release,
      namespace: o.entry.target.namespace,
      action: o.entry.action,
      status: o.status,
      revision: o.revision,
      previousRevision: o.previousRevision,
      error: o.error,
      rollbackError: o.rollbackError,
      rolledBackTo: o.rolledBackTo,
      recovered: o.recovered,
      seconds: o.seconds,
      timings: o.timings,
    })),
  };
}

export function renderHistory(
  entries: readonly HistoryEntry[],
  clusters: readonly string[],
  unreachable: Record<string, string> = {},
): string {
  const down = Object.keys(unreachable);
  const note = down.length > 0 ? `\n(not known: ${down.join(', ')} did not answer)` : '';
  return `${renderTable(
    ['DEPLOY', 'RESULT', ...clusters],
    entries.map((entry) => [
      entry.deployId,
      `${entry.verdict === 'good' ? 'succeeded' : entry.verdict === 'failed' ? 'FAILED, rolled back' : 'unfinished'}${entry.liveIn.length > 0 ? ' (live)' : ''}`,
      ...clusters.map((cluster) => {
        const cell = entry.clusters[cluster];
        if (unreachable[cluster]) return 'unreachable';
        return cell ? `${cell.chartVersion} r${cell.revision} ${cell.status}` : '-';
      }),
    ]),
  )}${note}`;
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
