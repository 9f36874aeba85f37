import { UserError } from '../errors.js';
import { SECRETS_SOURCES, type Environment, type SecretsSource } from '../model/fleet.js';
import { releaseKey, type Release, type SecretMapping } from '../model/release.js';
import { normalizeVaultPath, requireSecretSource } from '../plan/secrets.js';
import { MANAGED_BY, SECRET_VALUES_KEY, secretValuesName, type FluxObject } from './objects.js';

/**
 * The External Secrets Operator API this compiler writes: `v1`, served and stored since ESO 0.16
 * (v1beta1 is deprecated from 0.17).
 */
export const ESO_API = 'external-secrets.io/v1';

/**
 * How often ESO reads Vault again for each ExternalSecret. A value rotated in Vault reaches the
 * Secret within this time (a change of the ExternalSecret itself, as a commit makes it, is
 * resolved at once). An hour keeps Vault's load at one read per secret path, release and
 * cluster per hour, ESO's own default, while a rotation still lands the same working day.
 */
export const EXTERNAL_SECRET_REFRESH = '1h';

/** How the secret values of a Flux environment's HelmReleases reach its clusters. */
export type SecretsDelivery =
  /** Regatta reads Vault at deploy time and creates the Secret each HelmRelease reads. */
  | { source: 'vault' }
  /** Regatta commits ExternalSecrets; the operator in each cluster reads Vault through `store`. */
  | { source: 'external-secrets'; store: string };

const OBJECT_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Pure: the environment's setting (`secrets`, `secretStore` in the fleet file), overridden by
 * `--secrets` and `--secret-store`. Checked before anything is read, so a typo touches nothing.
 */
export function secretsDelivery(
  environment: Pick<Environment, 'name' | 'secrets' | 'secretStore'>,
  flags: { secrets?: string; secretStore?: string } = {},
): SecretsDelivery {
  if (flags.secrets !== undefined && !(SECRETS_SOURCES as readonly string[]).includes(flags.secrets))
    throw new UserError(`--secrets must be ${SECRETS_SOURCES.join(' or ')}, not "${flags.secrets}"`, {
      hint: 'vault: Regatta reads Vault and creates the Secrets; external-secrets: the External Secrets Operator of each cluster does',
    });
  const source = (flags.secrets as SecretsSource | undefined) ?? environment.secrets;
  if (flags.secretStore !== undefined && source !== 'external-secrets')
    throw new UserError('--secret-store names the ClusterSecretStore of --secrets external-secrets', {
      hint: `add --secrets external-secrets, or set environments.${environment.name}.secrets: external-secrets`,
    });
  if (flags.secretStore !== undefined && !OBJECT_NAME.test(flags.secretStore))
    throw new UserError(`--secret-store "${flags.secretStore}" is not a Kubernetes object name`, {
      hint: 'the name of a ClusterSecretStore: lowercase letters, digits, "-" and "."',
    });
  return source === 'external-secrets'
    ? { source, store: flags.secretStore ?? environment.secretStore }
    : { source: 'vault' };
}

/**
 * Pure: where ESO reads one secret for one cluster — the cluster's own mapping, else `default`,
 * resolved as the Vault engine resolves it. `key` is the whole KV path with its mount
 * (`secret/web`): ESO's Vault provider strips a store `path` it starts with and, for KV v2, puts
 * `data/` after the mount itself, so the same key works whether the ClusterSecretStore names the
 * mount or not.
 */
export function remoteRef(mapping: SecretMapping, cluster: string): { key: string; property: string } {
  const source = requireSecretSource(mapping, cluster);
  return { key: normalizeVaultPath(source.vaultPath), property: source.vaultKey };
}

/**
 * Pure: the ESO template (engine v2, Go text/template) whose output is the `values.yaml` the
 * Vault engine writes (secretValuesContent): `secrets: {id: value}`, ids sorted. Each value goes
 * through `toJson`, so quotes, backslashes, newlines and `: ` in a secret stay one valid YAML
 * scalar (a JSON string is a YAML double-quoted scalar). `index` reads ids with `-` or `.`, which
 * `.id` cannot. Secret ids are `[A-Za-z0-9_.-]+` (release schema), so the quoted id is both a Go
 * string literal and a YAML key without further escaping.
 */
export function valuesTemplate(secretIds: readonly string[]): string {
  const lines = [...secretIds]
    .sort((a, b) => a.localeCompare(b))
    .map((id) => `  ${JSON.stringify(id)}: {{ index . ${JSON.stringify(id)} | toJson }}`);
  return `secrets:\n${lines.join('\n')}\n`;
}

/**
 * Pure: one release in one cluster, as the ExternalSecret whose Secret the HelmRelease reads with
 * `valuesFrom` — the same name and key the Vault engine gives it, so the HelmRelease is the same
 * in both modes. It holds Vault paths and keys, never a value.
 *
 * The name is not versioned per deploy as the Vault engine's Secret is: there, a revert in git
 * must find the old values still in the cluster; here, git holds only where the values are, ESO
 * resolves the committed paths whenever they change and every `refreshInterval`, and a revert
 * reverts the paths. Older values live in Vault's own versions, not in the cluster.
 */
export function externalSecret(options: { release: Release; cluster: string; store: string }): FluxObject {
  const { release, cluster } = options;
  const name = secretValuesName(release);
  const labels = { ...MANAGED_BY, 'regatta.io/release': releaseKey(release) };
  return {
    apiVersion: ESO_API,
    kind: 'ExternalSecret',
    metadata: {
      name,
      namespace: release.namespace,
      labels: { ...labels, 'regatta.io/environment': release.environment, 'regatta.io/cluster': cluster },
    },
    spec: {
      refreshInterval: EXTERNAL_SECRET_REFRESH,
      secretStoreRef: { kind: 'ClusterSecretStore', name: options.store },
      target: {
        name,
        // Owner: the Secret goes with its ExternalSecret when Flux prunes a removed release.
        creationPolicy: 'Owner',
        // Retain: a path deleted in Vault keeps the last values (and ESO reports the error)
        // rather than emptying the Secret under a running release.
        deletionPolicy: 'Retain',
        template: {
          engineVersion: 'v2',
          // Replace: the Secret holds values.yaml only, not one key per raw secret besides it.
          mergePolicy: 'Replace',
          type: 'Opaque',
          metadata: {
            // helm-controller (≥ 1.4, Flux 2.7) reconciles a HelmRelease when a valuesFrom Secret
            // so labelled changes: the first sync is picked up at once rather than after a failed
            // attempt's backoff, and a value rotated in Vault reaches the release at ESO's refresh.
            labels: { ...labels, 'reconcile.fluxcd.io/watch': 'Enabled' },
          },
          data: { [SECRET_VALUES_KEY]: valuesTemplate(release.secrets.map((secret) => secret.secretId)) },
        },
      },
      data: [...release.secrets]
        .sort((a, b) => a.secretId.localeCompare(b.secretId))
        .map((mapping) => ({ secretKey: mapping.secretId, remoteRef: remoteRef(mapping, cluster) })),
    },
  };
}
