import { ensureNamespace } from '../adapters/kube.js';
import { retryTransient } from '../adapters/transient.js';
import type { Cluster } from '../model/fleet.js';
import { kubeTarget } from './clusters.js';

type Create = (cluster: Cluster, namespace: string, options: { missing?: boolean }) => Promise<void>;

const idOf = (cluster: Cluster, namespace: string) => `${cluster.name}\0${namespace}`;

/**
 * The releases' namespaces, each made sure of once per cluster in one run. The fleet lock's
 * leases live in them: a lease created is a namespace that exists, and one refused for a missing
 * namespace makes it; the run's installs then find it made, without asking the API server again
 * (a round trip before every far cluster's first helm).
 */
export class Namespaces {
  private readonly made = new Map<string, Promise<void>>();

  constructor(
    private readonly create: Create = (cluster, namespace, options) =>
      ensureNamespace(kubeTarget(cluster), namespace, options),
  ) {}

  /** Makes sure it exists; `missing`: the API server just said it does not. */
  ensure(cluster: Cluster, namespace: string, options: { missing?: boolean } = {}): Promise<void> {
    const id = idOf(cluster, namespace);
    let done = this.made.get(id);
    if (!done) {
      done = retryTransient(() => this.create(cluster, namespace, options), { attempts: 3 });
      this.made.set(id, done);
    }
    return done;
  }

  /** What this run knew of it no longer holds (it was deleted): the next `ensure` asks again. */
  forget(cluster: Cluster, namespace: string): void {
    this.made.delete(idOf(cluster, namespace));
  }

  /** It exists: something was just written in it. */
  exists(cluster: Cluster, namespace: string): void {
    const id = idOf(cluster, namespace);
    if (!this.made.has(id)) this.made.set(id, Promise.resolve());
  }
}
