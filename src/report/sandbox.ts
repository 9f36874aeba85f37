import type { ClusterSummary, ComponentStatus } from '../sandbox/sandbox.js';
import { renderTable } from './table.js';

export function renderClusters(clusters: readonly ClusterSummary[]): string {
  return renderTable(
    ['CONTEXT', 'SERVER', 'VERSION', 'NODES'],
    clusters.map((cluster) => [
      cluster.name,
      cluster.server,
      cluster.version,
      cluster.nodes.map((node) => `${node.name}${node.ready ? '' : ' (NotReady)'}`).join(', '),
    ]),
  );
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MiB`;
}

export function renderComponentStatus(components: readonly ComponentStatus[]): string {
  const total = components.reduce((sum, component) => sum + component.memoryBytes, 0);
  const table = renderTable(
    ['COMPONENT', 'STATE', 'PID', 'MEMORY'],
    components.map((component) => [
      component.name,
      component.up ? 'up' : 'down',
      component.pid === undefined ? '-' : String(component.pid),
      component.memoryBytes ? mebibytes(component.memoryBytes) : '-',
    ]),
  );
  const upCount = components.filter((component) => component.up).length;
  return `${table}\n${upCount}/${components.length} components up, ${mebibytes(total)} resident in total`;
}

/** POSIX shell exports, values single-quoted. */
export function renderExports(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([name, value]) => `export ${name}='${value.replace(/'/g, `'\\''`)}'`)
    .join('\n');
}
