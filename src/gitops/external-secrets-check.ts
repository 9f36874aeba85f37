import { crdEstablished, readObject } from '../adapters/kube-objects.js';
import { kubeTarget } from '../deploy/clusters.js';
import { UserError } from '../errors.js';
import type { Cluster } from '../model/fleet.js';
import { ESO_API } from './external-secrets.js';

const EXTERNAL_SECRETS_CRD = 'externalsecrets.external-secrets.io';

/**
 * Before anything is applied or committed for `--secrets external-secrets`: every cluster serves
 * ExternalSecrets and has the ClusterSecretStore they name. Without the operator, Flux's
 * Kustomization would fail on the unknown kind and apply nothing of the cluster's folder; without
 * the store, no Secret would ever appear and every HelmRelease would wait for it.
 */
export async function requireExternalSecretsOperator(
  clusters: readonly Cluster[],
  store: string,
): Promise<void> {
  const problems = await Promise.all(
    clusters.map(async (cluster): Promise<string | undefined> => {
      const target = kubeTarget(cluster);
      if (!(await crdEstablished(target, EXTERNAL_SECRETS_CRD)))
        return `${cluster.name} (no External Secrets Operator: CRD ${EXTERNAL_SECRETS_CRD} missing)`;
      const found = await readObject(target, {
        apiVersion: ESO_API,
        kind: 'ClusterSecretStore',
        name: store,
      });
      return found ? undefined : `${cluster.name} (no ClusterSecretStore ${store})`;
    }),
  );
  const missing = problems.filter((problem): problem is string => problem !== undefined);
  if (missing.length > 0)
    throw new UserError(
      `--secrets external-secrets: not ready in ${missing.join(', ')}; nothing was changed`,
      {
        hint: `install the External Secrets Operator and a ClusterSecretStore named ${store} there (or pass --secret-store NAME), or use --secrets vault`,
      },
    );
}
