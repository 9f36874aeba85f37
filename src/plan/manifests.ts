import { load } from 'js-yaml';

/**
 * The one manifest splitter: the documents of a rendered manifest with the template each came
 * from (`# Source:`). js-yaml, not the yaml package: validation reads thousands of objects and
 * needs no positions, and js-yaml parses them about ten times faster.
 */
export function splitManifest(manifest: string): { template: string; object: Record<string, unknown> }[] {
  return manifest
    .split(/^---[ \t]*(?:#.*)?$/m)
    .map((chunk) => ({
      template: /^# Source: (\S+)/m.exec(chunk)?.[1] ?? '',
      object: load(chunk) as Record<string, unknown> | null,
    }))
    .filter(
      (part): part is { template: string; object: Record<string, unknown> } =>
        !!part.object && typeof part.object === 'object' && !Array.isArray(part.object),
    );
}

export interface ManifestObject {
  key: string;
  kind: string;
  name: string;
  namespace: string;
  object: Record<string, unknown>;
}

/** The objects of a rendered manifest, hooks left out (Helm stores them apart from the manifest). */
export function manifestObjects(manifest: string, defaultNamespace: string): ManifestObject[] {
  return splitManifest(manifest)
    .map(({ object }) => object)
    .filter((object) => 'kind' in object)
    .filter(
      (object) =>
        !(object.metadata as { annotations?: Record<string, string> })?.annotations?.['helm.sh/hook'],
    )
    .map((object) => {
      const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
      const kind = String(object.kind);
      const name = metadata.name ?? '';
      const namespace = metadata.namespace ?? defaultNamespace;
      return { key: `${kind}/${namespace}/${name}`, kind, name, namespace, object };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}
