import type { GitopsDeployReport } from '../gitops/deploy.js';
import { renderTable } from './table.js';

export function renderGitopsDeploy(report: GitopsDeployReport): string {
  if (!report.commit) return `deploy ${report.deployId}: nothing changed`;
  const table = renderTable(
    ['RELEASE', 'CLUSTER', 'STATE', 'REASON'],
    report.outcomes.map((o) => [o.release, o.cluster, o.state, o.reason ?? '']),
  );
  return `deploy ${report.deployId}: commit ${report.commit.slice(0, 8)}\n${table}`;
}
