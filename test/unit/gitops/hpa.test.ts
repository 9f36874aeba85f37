import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hpaScaleTargets } from '../../../src/gitops/hpa.js';

describe('HPA scale targets', () => {
  it('finds what each HorizontalPodAutoscaler scales, once, sorted', () => {
    const manifest = `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec: { scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }, maxReplicas: 5 }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: db }
spec: { scaleTargetRef: { apiVersion: apps/v1, kind: StatefulSet, name: db }, maxReplicas: 3 }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web-again }
spec: { scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }, maxReplicas: 5 }
`;
    assert.deepEqual(hpaScaleTargets(manifest), [
      { kind: 'Deployment', name: 'web' },
      { kind: 'StatefulSet', name: 'db' },
    ]);
  });

  it('finds none in a chart without an HPA', () => {
    assert.deepEqual(hpaScaleTargets('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n'), []);
  });
});
