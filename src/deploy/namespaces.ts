import { ensureNamespace } from '../adapters/kube.js';
import { retryTransient } from '../adapters/transient.js';
import type { Cluster } from '../model/fleet.js';
import { kubeTarget } from './clusters.js';

/**
 * The releases' namespaces, each made sure of once per cluster in one run. The fleet lock's
 * leases live in them, so a deploy's lock makes them and its installs find them made, without
 * asking the API server again (a round trip before every far cluster's first helm).
 */
export class Namespaces {
  private readonly made = new Map<string, Promise<void>>();

  constructor(
    private readonly create: (cluster: Cluster, namespace: string) => Promise<void> = (cluster, namespace) =>
      ensureNamespace(kubeTarget(cluster), namespace),
  ) {}

  ensure(cluster: Cluster, namespace: string): Promise<void> {
    const id = `${cluster.name}\0${namespace}`;
    let done = this.made.get(id);
    if (!done) {
      done = retryTransient(() => this.create(cluster, namespace), { attempts: 3 });
      this.made.set(id, done);
    }
    return done;
  }
}
