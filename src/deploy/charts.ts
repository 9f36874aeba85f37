import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadChart } from '../adapters/chartrepo.js';
import { pullOciChart, type HelmBinary } from '../adapters/helm.js';
import type { ChartRepository } from '../model/fleet.js';
import type { ChartReference } from '../model/plan.js';

/**
 * Each distinct repository chart of a run, fetched once into a private folder that is removed
 * when the process exits; helm then reads the local archive. One download per chart instead of
 * one per release × cluster, a ChartMuseum password that never reaches helm's command line, and
 * no parallel helm processes rewriting the same repository cache.
 */
export class ChartFetcher {
  private dir: string | undefined;
  private readonly fetched = new Map<string, Promise<ChartReference>>();

  constructor(
    private readonly helm: HelmBinary,
    /** The repository a `repo` reference comes from (for its basic auth). */
    private readonly repositoryOf: (repoUrl: string) => ChartRepository,
  ) {}

  /** The reference helm should use: a local archive for repository charts, else as given. */
  local(chart: ChartReference): Promise<ChartReference> {
    if (chart.kind === 'path') return Promise.resolve(chart);
    const key = JSON.stringify(chart);
    let local = this.fetched.get(key);
    if (!local) {
      local = this.fetch(chart, String(this.fetched.size));
      this.fetched.set(key, local);
    }
    return local;
  }

  private async fetch(
    chart: Exclude<ChartReference, { kind: 'path' }>,
    slot: string,
  ): Promise<ChartReference> {
    const destination = join(this.folder(), slot);
    mkdirSync(destination);
    if (chart.kind === 'oci')
      return { kind: 'path', path: await pullOciChart(this.helm, chart, destination) };
    const archive = join(destination, `${chart.name}-${chart.version}.tgz`);
    writeFileSync(archive, await downloadChart(this.repositoryOf(chart.repoUrl), chart.name, chart.version));
    return { kind: 'path', path: archive };
  }

  private folder(): string {
    if (!this.dir) {
      const dir = mkdtempSync(join(tmpdir(), 'regatta-charts-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      this.dir = dir;
    }
    return this.dir;
  }
}
