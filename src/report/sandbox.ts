import type { LinkStatus } from '../sandbox/network.js';
import type { ClusterSummary, ComponentStatus } from '../sandbox/sandbox.js';
import { describeLink } from '../sandbox/toxics.js';
import { renderTable } from './table.js';

export function renderClusters(clusters: readonly ClusterSummary[]): string {
  const proxied = clusters.some((cluster) => cluster.latency !== undefined);
  return renderTable(
    ['CONTEXT', 'SERVER', ...(proxied ? ['ROUND TRIP'] : []), 'VERSION', 'NODES'],
    clusters.map((cluster) => [
      cluster.name,
      cluster.server,
      ...(proxied ? [cluster.latency ?? '-'] : []),
      cluster.version,
      cluster.nodes.map((node) => `${node.name}${node.ready ? '' : ' (NotReady)'}`).join(', '),
    ]),
  );
}

/** The proxies of `up --latency`: where clients connect, where it forwards, what it does to traffic. */
export function renderLinks(profile: string, links: readonly LinkStatus[]): string {
  const table = renderTable(
    ['CLUSTER', 'PROXY', 'API SERVER', 'NETWORK'],
    links.map((link) => [link.cluster, link.listen, link.upstream, describeLink(link.link, link.faults)]),
  );
  return `${table}\ntoxiproxy: latency profile ${profile}`;
}

export function renderLink(link: LinkStatus): string {
  return `${link.cluster} (${link.listen} → ${link.upstream}): ${describeLink(link.link, link.faults)}`;
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
