import { UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import type { RolloutStrategy, WaveSpec } from '../model/rollout.js';
import type { SourcePosition } from '../errors.js';

interface Positioned {
  positionOf(path: readonly (string | number)[]): SourcePosition;
}

export interface RawRollout {
  waves: {
    name: string;
    clusters: { names?: string[]; selector?: Record<string, string> };
    soak?: string | number;
    checks?: { run: string; timeout?: string | number }[];
    helmTest?: boolean;
    maxParallel?: number;
  }[];
  approval?: string;
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `90`, `90s`, `2m`, `1m30s` → seconds (the schema already checked the form). */
export function durationSeconds(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' || /^\d+$/.test(value)) return Number(value);
  return [...value.matchAll(/(\d+)([smh])/g)].reduce((sum, m) => sum + Number(m[1]) * UNIT[m[2]!]!, 0);
}

/** The schema-checked rollout at `path` of a file, with positions. */
export function readRollout(raw: RawRollout, source: Positioned, path: (string | number)[]): RolloutStrategy {
  const waves: WaveSpec[] = raw.waves.map((wave, index) => ({
    name: wave.name,
    ...(wave.clusters.names ? { names: wave.clusters.names } : { selector: wave.clusters.selector ?? {} }),
    soakSeconds: durationSeconds(wave.soak, 0),
    checks: (wave.checks ?? []).map((check) => ({
      run: check.run,
      timeoutSeconds: durationSeconds(check.timeout, 60),
    })),
    helmTest: wave.helmTest ?? false,
    ...(wave.maxParallel ? { maxParallel: wave.maxParallel } : {}),
    position: source.positionOf([...path, 'waves', index]),
  }));
  const seen = new Map<string, number>();
  for (const [index, wave] of waves.entries()) {
    if (seen.has(wave.name))
      throw new UserError(`wave ${wave.name} is defined twice`, {
        position: source.positionOf([...path, 'waves', index, 'name']),
        hint: 'give each wave its own name',
      });
    seen.set(wave.name, index);
  }
  const approvalBefore = raw.approval?.replace(/^before-wave /, '');
  if (approvalBefore !== undefined && !seen.has(approvalBefore))
    throw new UserError(`approval names no wave: ${approvalBefore}`, {
      position: source.positionOf([...path, 'approval']),
      hint: `the waves are: ${waves.map((w) => w.name).join(', ')}`,
    });
  if (approvalBefore !== undefined && seen.get(approvalBefore) === 0)
    throw new UserError(`approval before the first wave (${approvalBefore}) has nothing to approve`, {
      position: source.positionOf([...path, 'approval']),
      hint: 'put the approval before a later wave',
    });
  return { waves, ...(approvalBefore ? { approvalBefore } : {}), position: source.positionOf(path) };
}

/**
 * Pure: which clusters each wave holds, in order. Named clusters first claim their wave; a
 * selector wave takes every cluster not yet placed whose labels match. A wave that selects no
 * cluster, a cluster named in two waves, or a cluster in no wave: the file's mistake.
 */
export function placeClusters(
  strategy: RolloutStrategy,
  clusters: readonly Cluster[],
  environment: string,
): Map<string, Cluster[]> {
  const placed = new Map<string, string>();
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const result = new Map<string, Cluster[]>(strategy.waves.map((w) => [w.name, []]));
  for (const wave of strategy.waves.filter((w) => w.names)) {
    for (const name of wave.names!) {
      const cluster = byName.get(name);
      if (!cluster)
        throw new UserError(`wave ${wave.name}: no cluster ${name} in environment ${environment}`, {
          position: wave.position,
          hint: `its clusters are: ${clusters.map((c) => c.name).join(', ')}`,
        });
      const other = placed.get(name);
      if (other)
        throw new UserError(`cluster ${name} is in two waves: ${other} and ${wave.name}`, {
          position: wave.position,
          hint: 'a cluster belongs to one wave',
        });
      placed.set(name, wave.name);
      result.get(wave.name)!.push(cluster);
    }
  }
  for (const wave of strategy.waves) {
    if (wave.names) continue;
    for (const cluster of clusters) {
      if (placed.has(cluster.name)) continue;
      if (Object.entries(wave.selector ?? {}).every(([key, value]) => cluster.labels[key] === value)) {
        placed.set(cluster.name, wave.name);
        result.get(wave.name)!.push(cluster);
      }
    }
  }
  for (const wave of strategy.waves)
    if (result.get(wave.name)!.length === 0)
      throw new UserError(`wave ${wave.name} selects no cluster of environment ${environment}`, {
        position: wave.position,
        hint: 'fix its names or selector, or remove the wave',
      });
  const left = clusters.filter((c) => !placed.has(c.name)).map((c) => c.name);
  if (left.length > 0)
    throw new UserError(
      `environment ${environment}: ${left.join(', ')} ${left.length === 1 ? 'is' : 'are'} in no wave`,
      {
        position: strategy.position,
        hint: 'end the waves with one whose clusters are { selector: {} } (whatever is left)',
      },
    );
  return result;
}
