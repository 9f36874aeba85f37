// Validation throughput: the same ≥5,000 rendered objects checked by Regatta and by kubeconform
// v0.7.0, both against the OpenAPI of the same API server (converted to JSON Schema files for
// kubeconform, as openapi2jsonschema does), both strict about unknown fields.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/adapters/process.js';
import { ClusterSchemas, type OpenApiDocument } from '../src/charts/schema-validation.js';
import { loadClusterSchemas } from '../src/charts/cluster-schemas.js';
import { cacheRoot } from '../src/paths.js';
import { readFileSync } from 'node:fs';
import type { Cluster } from '../src/model/fleet.js';

const OBJECTS = 6_000;

/** Three kinds in equal parts: Deployments, Services and ConfigMaps, as a chart would render them. */
function manifest(): string {
  const parts: string[] = [];
  for (let i = 0; i < OBJECTS / 3; i++) {
    parts.push(`---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: { name: app-${i}, labels: { app: app-${i} } }
spec:
  replicas: 2
  selector: { matchLabels: { app: app-${i} } }
  template:
    metadata: { labels: { app: app-${i} } }
    spec:
      containers:
        - name: app
          image: registry.example/app:${i}
          ports: [{ containerPort: 8080, name: http }]
          resources: { requests: { cpu: 100m, memory: 128Mi } }
          env: [{ name: INDEX, value: "${i}" }]
---
# Source: app/templates/service.yaml
apiVersion: v1
kind: Service
metadata: { name: app-${i} }
spec:
  selector: { app: app-${i} }
  ports: [{ port: 80, targetPort: http }]
---
# Source: app/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata: { name: app-${i} }
data: { index: "${i}", mode: fast }
`);
  }
  return parts.join('');
}

/** openapi2jsonschema's layout: one self-contained file per kind, `kind[-group]-version.json`. */
function writeKubeconformSchemas(documents: readonly OpenApiDocument[], dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const document of documents) {
    const schemas = document.components?.schemas ?? {};
    const definitions = JSON.parse(
      JSON.stringify(schemas).replace(/#\/components\/schemas\//g, '#/definitions/'),
    );
    for (const [name, schema] of Object.entries(schemas)) {
      for (const gvk of (schema['x-kubernetes-group-version-kind'] ?? []) as {
        group: string;
        version: string;
        kind: string;
      }[]) {
        const group = gvk.group ? `-${gvk.group.split('.')[0]}` : '';
        const file = `${gvk.kind.toLowerCase()}${group}-${gvk.version}.json`;
        writeFileSync(join(dir, file), JSON.stringify({ $ref: `#/definitions/${name}`, definitions }));
      }
    }
  }
}

export interface ValidationResult {
  objects: number;
  regattaPerSecond: number;
  kubeconformPerSecond: number;
}

export async function validationBench(
  cluster: Cluster,
  kubeconform: string,
  work: string,
  env: NodeJS.ProcessEnv,
): Promise<ValidationResult> {
  await loadClusterSchemas(cluster, env, false); // fetch and cache this cluster's OpenAPI
  const cached = JSON.parse(
    readFileSync(join(cacheRoot(env), 'openapi', `${cluster.name}.json`), 'utf8'),
  ) as { documents: OpenApiDocument[] };
  const schemaDir = join(work, 'kubeconform-schemas');
  writeKubeconformSchemas(cached.documents, schemaDir);
  const file = join(work, 'objects.yaml');
  const text = manifest();
  writeFileSync(file, text);

  // Regatta, in process, schemas compiled within the measured time.
  const started = performance.now();
  const violations = new ClusterSchemas(cached.documents).validateManifest(text);
  const regattaSeconds = (performance.now() - started) / 1000;
  if (violations.length > 0)
    throw new Error(`benchmark objects should be valid: ${JSON.stringify(violations[0])}`);

  const kubeStarted = performance.now();
  await run(
    kubeconform,
    [
      '-strict',
      '-summary',
      '-n',
      '2',
      '-schema-location',
      `${schemaDir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
      file,
    ],
    { env },
  );
  const kubeconformSeconds = (performance.now() - kubeStarted) / 1000;
  return {
    objects: OBJECTS,
    regattaPerSecond: OBJECTS / regattaSeconds,
    kubeconformPerSecond: OBJECTS / kubeconformSeconds,
  };
}
