import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { applyReplicaCounts } from '../../../src/plan/scaling.js';

const rendered = `---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
spec:
  replicas: 1
---
# Source: shop/charts/cart/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  template: {}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 1
---
apiVersion: v1
kind: Service
metadata:
  name: cart
`;

const replicasOf = (manifest: string) =>
  Object.fromEntries(
    parseAllDocuments(manifest as string)
      .map((d) => d.toJS())
      .map((o) => [`${o.kind}/${o.metadata.name}`, o.spec?.replicas]),
  );

describe('replica counts', () => {
  it('sets spec.replicas of named Deployments and StatefulSets, in subcharts too and when the chart set none', () => {
    const scaled = applyReplicaCounts(rendered, [
      { name: 'cart', count: 3 },
      { name: 'db', count: 2 },
    ]);
    assert.deepEqual(scaled.missing, []);
    assert.deepEqual(replicasOf(scaled.manifest), {
      'Deployment/shop-web': 1,
      'Deployment/cart': 3,
      'StatefulSet/db': 2,
      'Service/cart': undefined,
    });
  });

  it('reports names that no Deployment or StatefulSet has (a Service does not count)', () => {
    assert.deepEqual(applyReplicaCounts(rendered, [{ name: 'hermes', count: 2 }]).missing, ['hermes']);
  });

  it('leaves the manifest untouched when there is nothing to scale', () => {
    assert.equal(applyReplicaCounts(rendered, []).manifest, rendered);
  });

  it('leaves out the count of a workload an autoscaler of the release scales, unless the release file sets it', () => {
    const withHpa = `${rendered}---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: cart
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: cart }
  minReplicas: 2
  maxReplicas: 9
`;
    const owned = replicasOf(applyReplicaCounts(withHpa, []).manifest);
    assert.equal(owned['Deployment/cart'], undefined);
    assert.equal(owned['Deployment/shop-web'], 1);
    const forced = replicasOf(applyReplicaCounts(withHpa, [{ name: 'cart', count: 4 }]).manifest);
    assert.equal(forced['Deployment/cart'], 4);
  });
});
