import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadFleet } from '../../../src/config/fleet.js';
import { UserError } from '../../../src/errors.js';

/** Writes files into a fresh temporary folder; returns the folder. */
export function writeFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'regatta-unit-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** The UserError loading this fleet file gives (fails the test when it loads). */
export function fleetError(text: string): UserError {
  const dir = writeFiles({ 'regatta.yaml': text });
  try {
    loadFleet(join(dir, 'regatta.yaml'));
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    return error;
  }
  assert.fail('expected a UserError');
}

export const FLEET = `apiVersion: regatta/v1
kind: Fleet
environments:
  dev:     { branches: [dev],          chartRepository: { url: http://127.0.0.1:8080, type: chartmuseum } }
  staging: { branches: [master, main], chartRepository: { url: oci://127.0.0.1:5000/charts-staging } }
  prod:    { branches: [prod],         chartRepository: { url: oci://registry.example.com/charts-prod } }
clusters:
  - name: dev-us-central1-0
    env: dev
    region: us-central1
    cloud: true
  - name: dev-europe-west1-0
    env: dev
    region: europe-west1
  - name: prod-europe-west1      # kube context defaults to the name
    env: prod
    cloud: true
    region: europe-west1
    labels: { provider: gcp }
    globals: { team: api }
  - name: prod-us-central1
    context: gke_prod_us
    env: prod
    region: us-central1
    labels: { provider: aws }
notifications:
  slack: { webhookUrlEnv: SLACK_WEBHOOK_URL }
`;

/** The seed's release file, verbatim. */
export const SEED_RELEASE = `apiVersion: "v1"
kind: "DailymotionRelease"
metadata:
  name: "app1.ns1"
  environment: "dev"
  branch: "mybranch"
spec:
  slack_channel: "#admin"
  chart_name: "app1"
  scaling:
    - context: "dev-us-central1-0"
      replicas:
        - name: "hermes"
          count: 2
    - context: "dev-europe-west1-0"
      replicas:
        - name: "app1-deploy"
          count: 2
  secrets:
    - secret_id: "stack1-app1-password"
      contexts:
        - name: "default"
          vaultPath: "/kv/dev/stack1/app1/test"
          vaultKey: "password"
        - name: "dev-us-central1-0"
          vaultPath: "/kv/dev/stack1/app1/test"
          vaultKey: "password"
`;
