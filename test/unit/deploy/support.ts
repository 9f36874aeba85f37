import type { TargetActions } from '../../../src/deploy/actions.js';
import type { ExecuteOptions } from '../../../src/deploy/execute.js';
import { silentProgress } from '../../../src/report/progress.js';
import {
  DEPLOY_ID_LABEL,
  VERDICT_LABEL,
  type HelmRevision,
  type HelmStatus,
} from '../../../src/model/helm-release.js';
import type { PlanEntry } from '../../../src/model/plan.js';

export function revision(
  number: number,
  status: HelmStatus,
  labels: Record<string, string> = {},
  description = status === 'failed' ? 'Upgrade "web" failed: timed out' : 'Upgrade complete',
): HelmRevision {
  return {
    name: 'web',
    namespace: 'web',
    revision: number,
    status,
    chartName: 'web',
    chartVersion: '1.0.0',
    description,
    labels,
    manifest: '',
    config: {},
  };
}

export const good = (n: number, id: string, status: HelmStatus = 'superseded') =>
  revision(n, status, { [DEPLOY_ID_LABEL]: id, [VERDICT_LABEL]: 'good' });

export function entry(cluster: string, action: PlanEntry['action'], currentRevision?: number): PlanEntry {
  return {
    target: {
      release: 'web',
      namespace: 'web',
      environment: 'prod',
      cluster,
      context: cluster,
      chartName: 'web',
      chartVersion: '2.0.0',
      chartDigest: 'abc',
      chart: { kind: 'path', path: '/charts/web' },
      replicas: [],
      secretIds: [],
      releaseFile: 'web.yaml',
    },
    action,
    currentRevision,
    reasons: [],
  };
}

/**
 * A recording set of actions over in-memory Helm histories, one per cluster: what a deploy did
 * where, without helm. `upgrade` fails in the clusters named in `failIn` (after recording a
 * failed revision, as helm does).
 */
export function recordingActions(
  histories: Record<string, HelmRevision[]>,
  behaviour: {
    deployId: string;
    failIn?: string[];
    /** What a failing upgrade says (default: a progress deadline exceeded). */
    failWith?: string;
    hangIn?: string[];
    /** Clusters that no longer answer once the deploy has failed (reach rejects there). */
    silentIn?: string[];
    onUpgrade?: (cluster: string) => void;
    /** What each upgrade reports of its phases. */
    phases?: [phase: 'upgrade' | 'postRender' | 'wait', seconds: number][];
  },
) {
  const calls: string[] = [];
  const push = (cluster: string, status: HelmStatus, extra: Partial<HelmRevision> = {}) => {
    const history = (histories[cluster] ??= []);
    const next = revision((history.at(-1)?.revision ?? 0) + 1, status, {
      [DEPLOY_ID_LABEL]: behaviour.deployId,
    });
    history.push({ ...next, ...extra });
    return next.revision;
  };
  const actions: TargetActions = {
    async upgrade(e, signal, took) {
      const cluster = e.target.cluster;
      if (behaviour.phases) for (const [phase, seconds] of behaviour.phases) took?.(phase, seconds);
      calls.push(`upgrade ${cluster}`);
      behaviour.onUpgrade?.(cluster);
      for (const r of histories[cluster] ?? []) if (r.status === 'deployed') r.status = 'superseded';
      if (behaviour.hangIn?.includes(cluster)) {
        push(cluster, 'pending-upgrade');
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        histories[cluster]!.at(-1)!.status = 'failed';
        throw new Error('helm upgrade failed: context canceled');
      }
      if (behaviour.failIn?.includes(cluster)) {
        push(cluster, 'failed');
        throw new Error(
          behaviour.failWith ??
            'helm upgrade failed: resource Deployment/web/web not ready: Progress deadline exceeded',
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
      return push(cluster, 'deployed');
    },
    async unlock(e, n) {
      calls.push(`unlock ${e.target.cluster} ${n}`);
      histories[e.target.cluster]!.find((r) => r.revision === n)!.status = 'failed';
    },
    async reach(e) {
      calls.push(`reach ${e.target.cluster}`);
      if (behaviour.silentIn?.includes(e.target.cluster))
        throw new Error(`${e.target.cluster} does not answer (no answer within 10s)`);
    },
    async history(e) {
      return structuredClone(histories[e.target.cluster] ?? []);
    },
    async rollback(e, to) {
      calls.push(`rollback ${e.target.cluster} ${to}`);
      const history = histories[e.target.cluster]!;
      const source = history.find((r) => r.revision === to)!;
      for (const r of history) if (r.status === 'deployed' || r.status === 'failed') r.status = 'superseded';
      history.push({
        ...source,
        revision: history.at(-1)!.revision + 1,
        status: 'deployed',
        description: `Rollback to ${to}`,
      });
    },
    async uninstall(e) {
      calls.push(`uninstall ${e.target.cluster}`);
      histories[e.target.cluster] = [];
    },
    async label(e, n, verdict) {
      calls.push(`label ${e.target.cluster} ${n} ${verdict}`);
      const r = histories[e.target.cluster]!.find((x) => x.revision === n)!;
      r.labels = { ...r.labels, [VERDICT_LABEL]: verdict };
    },
  };
  return { actions, calls };
}

/** Execution options for tests: a deploy id, short timeouts, no output. */
export function executeOptions(deployId: string, extra: Partial<ExecuteOptions> = {}): ExecuteOptions {
  return {
    helm: { path: 'helm', major: 4, env: {} },
    deployId,
    timeoutSeconds: 30,
    rollbackTimeoutSeconds: 30,
    concurrency: 10,
    rollback: true,
    progress: silentProgress,
    ...extra,
  };
}
