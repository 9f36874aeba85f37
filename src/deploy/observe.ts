import { helmRecordVersions, listHelmRevisionsVersioned } from '../adapters/helm-storage.js';
import { listNamespacedLeases } from '../adapters/kube-lease.js';
import { retryTransient } from '../adapters/transient.js';
import type { Cluster } from '../model/fleet.js';
import type { Release } from '../model/release.js';
import { liveRevisionsOf } from '../plan/live.js';
import { leasesInTheWay, sameRecords } from '../plan/noop.js';
import type { LiveRevision } from '../plan/plan.js';
import { kubeTarget } from './clusters.js';

/** Release names per list of Helm's records: a label selector `name in (…)` short enough for any URL. */
const NAMES_PER_LIST = 25;

/** How a look asks: the default (30 s a request, transient errors retried), or quick and once. */
export interface LookOptions {
  /** Per request. */
  timeoutMs?: number;
  /** Tries in all (1: a failure is the caller's to handle). */
  attempts?: number;
}

/** One list of Helm's records: a cluster, a namespace, up to NAMES_PER_LIST releases. */
interface RecordList {
  cluster: Cluster;
  namespace: string;
  names: string[];
  /** The records' versions when listed (`recordVersions`). */
  versions?: string[];
}

/** A list asked for: its answer (reduced), and how long it took once it answered. */
interface MadeList {
  list: RecordList;
  live: Promise<Map<string, LiveRevision>>;
  seconds?: number;
}

/**
 * What is live for the selected releases, observed with one list of Helm's records per cluster,
 * namespace and NAMES_PER_LIST releases (not one per target: a no-op redeploy of hundreds of
 * targets was that many round trips), each list made once and reduced at once to what the plan
 * needs (the newest revision of each release, judged). It keeps each list's record versions, so
 * that `unchangedSince` can tell whether anything was written since.
 */
export class LiveObserver {
  /** Per cluster and namespace: its release names in order, and where each one is among them. */
  private readonly groups = new Map<string, { names: string[]; index: Map<string, number> }>();
  private readonly lists = new Map<string, MadeList>();

  constructor(
    selected: readonly { release: Release; clusters: readonly Cluster[] }[],
    private readonly options: LookOptions = {},
  ) {
    for (const { release, clusters } of selected) {
      for (const cluster of clusters) {
        const key = groupOf(cluster, release.namespace);
        let group = this.groups.get(key);
        if (!group) this.groups.set(key, (group = { names: [], index: new Map() }));
        if (group.index.has(release.name)) continue;
        group.index.set(release.name, group.names.length);
        group.names.push(release.name);
      }
    }
  }

  /** Which list answers for a release in a cluster: its key, and its group and chunk. */
  private listOf(cluster: Cluster, release: Release) {
    const group = this.groups.get(groupOf(cluster, release.namespace))!;
    const chunk = Math.floor(group.index.get(release.name)! / NAMES_PER_LIST);
    return { key: `${groupOf(cluster, release.namespace)}\0${chunk}`, group, chunk };
  }

  liveOf(cluster: Cluster, release: Release): Promise<LiveRevision | undefined> {
    const { key, group, chunk } = this.listOf(cluster, release);
    let made = this.lists.get(key);
    if (!made) {
      const list: RecordList = {
        cluster,
        namespace: release.namespace,
        names: group.names.slice(chunk * NAMES_PER_LIST, (chunk + 1) * NAMES_PER_LIST),
      };
      const started = performance.now();
      const entry: MadeList = {
        list,
        live: this.retry(() => listHelmRevisionsVersioned(this.target(cluster), list)).then(
          ({ revisions, versions }) => {
            list.versions = versions;
            entry.seconds = (performance.now() - started) / 1000;
            return liveRevisionsOf(revisions);
          },
        ),
      };
      this.lists.set(key, (made = entry));
    }
    return made.live.then((live) => live.get(release.name));
  }

  /** How long the list that answered for this release in this cluster took, once it has answered. */
  secondsFor(cluster: Cluster, release: Release): number | undefined {
    return this.lists.get(this.listOf(cluster, release).key)?.seconds;
  }

  /**
   * A second look, once every first one is done: every list made so far holds the same records as
   * it did (nothing written since), and no namespace looked at holds a lease that locks one of its
   * releases. False also when any of it cannot be read.
   */
  async unchangedSince(): Promise<boolean> {
    const made = [...this.lists.values()].map(({ list }) => list);
    if (made.some((list) => list.versions === undefined)) return false;
    const namespaces = new Map<string, { cluster: Cluster; namespace: string; names: string[] }>();
    for (const list of made) {
      const key = groupOf(list.cluster, list.namespace);
      const group = namespaces.get(key);
      if (group) group.names.push(...list.names);
      else namespaces.set(key, { cluster: list.cluster, namespace: list.namespace, names: [...list.names] });
    }
    try {
      const answers = await Promise.all([
        ...made.map(async (list) =>
          sameRecords(
            list.versions!,
            await this.retry(() => helmRecordVersions(this.target(list.cluster), list)),
          ),
        ),
        ...[...namespaces.values()].map(
          async ({ cluster, namespace, names }) =>
            leasesInTheWay(
              await this.retry(() => listNamespacedLeases(this.target(cluster), namespace)),
              names,
            ).length === 0,
        ),
      ]);
      return answers.every(Boolean);
    } catch {
      return false; // the locked way will see (and report) what is wrong
    }
  }

  private target(cluster: Cluster) {
    return {
      ...kubeTarget(cluster),
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    };
  }

  private retry<T>(fn: () => Promise<T>): Promise<T> {
    return retryTransient(fn, { attempts: this.options.attempts });
  }
}

const groupOf = (cluster: Cluster, namespace: string) => `${cluster.name}\0${namespace}`;
