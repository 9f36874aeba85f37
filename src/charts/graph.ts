import { posix } from 'node:path';
import { UserError } from '../errors.js';
import type { LocalChart } from './model.js';

/** chart name → names of the local charts it depends on. */
export type ChartGraph = Map<string, string[]>;

/**
 * Pure: which local charts each chart depends on, by `file://` path or by name (a dependency on
 * a chart of this repository published to the environment's repository). A `file://` path to
 * no chart, or a name found nowhere with no repository to fetch it from, is a user error.
 */
export function buildChartGraph(charts: readonly LocalChart[]): ChartGraph {
  const byName = new Map(charts.map((chart) => [chart.name, chart]));
  const byPath = new Map(charts.map((chart) => [chart.path, chart]));
  const graph: ChartGraph = new Map();
  for (const chart of charts) {
    const local: string[] = [];
    for (const dependency of chart.dependencies) {
      const repository = dependency.repository ?? '';
      if (repository.startsWith('file://')) {
        const target = byPath.get(
          posix.normalize(posix.join(chart.path, repository.slice('file://'.length))),
        );
        if (!target) {
          throw new UserError(
            `chart ${chart.name} depends on ${dependency.name} at ${repository}, where there is no chart`,
            {
              position: chart.position,
              hint: 'fix the file:// path (relative to this chart) in its dependencies',
            },
          );
        }
        local.push(target.name);
      } else if (byName.has(dependency.name)) {
        local.push(dependency.name);
      } else if (!repository && !chart.vendored.includes(dependency.name)) {
        throw new UserError(`chart ${chart.name} depends on ${dependency.name}, which exists nowhere`, {
          position: chart.position,
          hint: 'add the chart to this repository or give the dependency a repository',
        });
      }
    }
    graph.set(chart.name, local);
  }
  const cycle = findCycle(graph);
  if (cycle) {
    throw new UserError(`chart dependency cycle: ${cycle.join(' → ')}`, {
      hint: `remove one of these dependencies from its Chart.yaml`,
    });
  }
  return graph;
}

function findCycle(graph: ChartGraph): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Pure: the charts that depend on `name`, directly. */
export function dependentsOf(graph: ChartGraph, name: string): string[] {
  return [...graph.entries()].filter(([, deps]) => deps.includes(name)).map(([parent]) => parent);
}
