import { stringify } from 'yaml';

export interface KubeconfigEntry {
  /** Context, cluster and user are all named after it. */
  name: string;
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** A kubeconfig with one context per entry, credentials embedded. */
export function buildKubeconfig(entries: readonly KubeconfigEntry[], currentContext?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': currentContext ?? entries[0]?.name ?? '',
    clusters: entries.map((entry) => ({
      name: entry.name,
      cluster: { server: entry.server, 'certificate-authority-data': base64(entry.caPem) },
    })),
    users: entries.map((entry) => ({
      name: entry.name,
      user: { 'client-certificate-data': base64(entry.certPem), 'client-key-data': base64(entry.keyPem) },
    })),
    contexts: entries.map((entry) => ({
      name: entry.name,
      context: { cluster: entry.name, user: entry.name },
    })),
  });
}
