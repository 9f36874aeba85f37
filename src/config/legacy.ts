import { UserError, type SourcePosition } from '../errors.js';
import type { Fleet } from '../model/fleet.js';
import type { YamlSource } from './yaml-source.js';

interface LegacyService {
  chart_name?: string;
  repo?: string;
  contexts?: Record<string, { deployments?: { name: string; replicas: number }[] } | null>;
}

/** A release document converted from the seed's old format, with where it came from. */
export interface ConvertedRelease {
  /** Suggested file name for `regatta migrate`. */
  fileName: string;
  /** A regatta/v1 Release document. */
  document: {
    apiVersion: 'regatta/v1';
    kind: 'Release';
    metadata: Record<string, string>;
    spec: Record<string, unknown>;
  };
  /** Comment for the migrated file (the service's git repository). */
  comment?: string;
  file: string;
  positionOf(path: readonly (string | number)[]): SourcePosition;
}

export function isLegacyDocument(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && Array.isArray((value as { releases?: unknown }).releases)
  );
}

/**
 * The seed's old format (a `releases:` list, each an umbrella of services with per-context
 * replica counts) → one release per service and environment, no umbrella. `foo.world` gives
 * the namespace (`world`); the environment comes from the fleet's clusters of each context.
 */
export function convertLegacy(source: YamlSource, fleet: Fleet): ConvertedRelease[] {
  const root = source.value as Record<string, unknown> & { releases: unknown[] };
  const converted: ConvertedRelease[] = [];
  root.releases.forEach((entry, index) => {
    const umbrella = String(entry);
    const body = root[umbrella] as { services?: Record<string, LegacyService> } | undefined;
    if (!body?.services) {
      throw new UserError(`release ${umbrella} is listed but has no services`, {
        position: source.positionOf(['releases', index]),
      });
    }
    const namespace = umbrella.includes('.') ? umbrella.split('.').slice(1).join('-') : 'default';
    for (const [service, definition] of Object.entries(body.services)) {
      const servicePath = [umbrella, 'services', service];
      if (!definition?.chart_name) {
        throw new UserError(`service ${service} has no chart_name`, {
          position: source.positionOf(servicePath),
        });
      }
      const byEnv = new Map<string, { context: string; replicas: { name: string; count: number }[] }[]>();
      for (const [context, settings] of Object.entries(definition.contexts ?? {})) {
        const cluster = fleet.clusters.find((candidate) => candidate.name === context);
        if (!cluster) {
          throw new UserError(`context ${context} is no cluster of the fleet`, {
            position: source.keyPositionOf([...servicePath, 'contexts', context]),
            hint: 'add it to the fleet file or remove it',
          });
        }
        const scaling = byEnv.get(cluster.env) ?? [];
        scaling.push({
          context,
          replicas: (settings?.deployments ?? []).map((d) => ({ name: d.name, count: d.replicas })),
        });
        byEnv.set(cluster.env, scaling);
      }
      if (byEnv.size === 0)
        throw new UserError(`service ${service} has no contexts`, {
          position: source.positionOf(servicePath),
        });
      for (const [environment, scaling] of byEnv) {
        converted.push({
          fileName: byEnv.size > 1 ? `${service}-${environment}.yaml` : `${service}.yaml`,
          document: {
            apiVersion: 'regatta/v1',
            kind: 'Release',
            metadata: { name: `${service}.${namespace}`, environment },
            spec: { chart_name: definition.chart_name, scaling },
          },
          comment: definition.repo
            ? `Converted from ${umbrella} (${definition.repo}) by regatta migrate.`
            : `Converted from ${umbrella} by regatta migrate.`,
          file: source.file,
          positionOf: (path) =>
            path[0] === 'spec' && path[1] === 'scaling'
              ? source.positionOf([...servicePath, 'contexts'])
              : source.positionOf(servicePath),
        });
      }
    }
  });
  return converted;
}
