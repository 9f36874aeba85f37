import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadFleet } from '../../../src/config/fleet.js';
import { convertLegacy } from '../../../src/config/legacy.js';
import { loadReleases } from '../../../src/config/release.js';
import { schemas } from '../../../src/config/schemas.js';
import { parseYamlFile } from '../../../src/config/yaml-source.js';
import { UserError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/paths.js';
import { FLEET, writeFiles } from './support.js';

/** The seed's old service definition, verbatim, plus a second service spanning two environments. */
const OLD = `releases:
  - foo.world

foo.world:                # Release name
  services:               # List of dailymotion's apps/projects
    foobar:
      chart_name: foo-foobar
      repo: git@github.com:dailymotion/foobar
      contexts:
        prod-europe-west1:
          deployments:
            - name: foo-bar-baz
              replicas: 18
            - name: another-deployment
              replicas: 3
    quux:
      chart_name: foo-quux
      contexts:
        dev-us-central1-0: { deployments: [{ name: quux, replicas: 1 }] }
        prod-us-central1: { deployments: [{ name: quux, replicas: 5 }] }
`;

describe("the seed's old format", () => {
  const dir = writeFiles({ 'regatta.yaml': FLEET, 'old.yaml': OLD });
  const fleet = loadFleet(join(dir, 'regatta.yaml'));

  it('becomes one release per service (and environment), without the umbrella', () => {
    const [source] = parseYamlFile(join(dir, 'old.yaml'));
    const converted = convertLegacy(source!, fleet);
    assert.deepEqual(
      converted.map((c) => c.fileName),
      ['foobar.yaml', 'quux-dev.yaml', 'quux-prod.yaml'],
    );
    assert.deepEqual(converted[0]?.document, {
      apiVersion: 'regatta/v1',
      kind: 'Release',
      metadata: { name: 'foobar.world', environment: 'prod' },
      spec: {
        chart_name: 'foo-foobar',
        scaling: [
          {
            context: 'prod-europe-west1',
            replicas: [
              { name: 'foo-bar-baz', count: 18 },
              { name: 'another-deployment', count: 3 },
            ],
          },
        ],
      },
    });
    assert.match(converted[0]?.comment ?? '', /git@github\.com:dailymotion\/foobar/);
  });

  it('is accepted by deploy and plan as it is', () => {
    const releases = loadReleases([join(dir, 'old.yaml')], fleet);
    assert.deepEqual(
      releases.map((r) => `${r.name}.${r.namespace}@${r.environment}`),
      ['foobar.world@prod', 'quux.world@dev', 'quux.world@prod'],
    );
  });

  it('refuses a context that is no cluster of the fleet, at its position', () => {
    const bad = writeFiles({ 'old.yaml': OLD.replace('prod-europe-west1:', 'prod-mars-1:') });
    assert.throws(
      () => loadReleases([join(bad, 'old.yaml')], fleet),
      (error: unknown) =>
        error instanceof UserError &&
        error.message === 'context prod-mars-1 is no cluster of the fleet' &&
        error.position?.line === 10,
    );
  });
});

describe('published JSON Schemas', () => {
  for (const [kind, schema] of Object.entries(schemas)) {
    it(`schemas/${kind}.schema.json is the schema Regatta validates with`, () => {
      const published = JSON.parse(readFileSync(join(packageRoot, 'schemas', `${kind}.schema.json`), 'utf8'));
      assert.deepEqual(
        published,
        schema,
        'regenerate with: node bin/regatta.js schema KIND > schemas/KIND.schema.json',
      );
    });
  }
});
