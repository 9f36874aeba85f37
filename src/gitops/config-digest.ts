import { createHash } from 'node:crypto';
import { mergeValues, type Values } from '../values/layer.js';
import { encodeGoYaml, type GoYamlNode } from './go-yaml-v2.js';

/*
 * Pure: the `configDigest` helm-controller v1.4.0 records for a release in a HelmRelease's
 * status.history, so that readiness can tell the values deployed are the values committed.
 *
 * - The values: chartutil.ChartValuesFromReferences (fluxcd/pkg/chartutil v1.14.0, values.go)
 *   merges each valuesFrom document in order, then spec.values over them, with MergeMaps
 *   (merge.go: maps merge key by key, anything else replaces) — Regatta's mergeValues.
 *   Both arrive as JSON-decoded Go values: every number a float64.
 * - The snapshot: release.ObservedToSnapshot (helm-controller internal/release/observation.go)
 *   hashes the Helm release's Config, which is those values, with chartutil.DigestValues
 *   (digest.go): sha256 (digest.Canonical), written `sha256:<hex>`; empty values hash nothing.
 * - The bytes hashed: chartutil.Encode (encode.go) — sigs.k8s.io/yaml's JSONObjectToYAMLObject
 *   (a whole float64 becomes an int), keys sorted by SortMapSlice (sort.go, byte order, nested
 *   maps and maps in lists too), then go.yaml.in/yaml/v2's encoder (go-yaml-v2.ts).
 *
 * The digest is a hash of secret values: it is compared, never printed.
 */

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/** strconv.FormatFloat(f, 'g', -1, 64), as yaml v2's floatv writes it. */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // The shortest digits that read back as this float64: the same in JS and Go.
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A JSON number as jsonToYAMLValue leaves it (int, int64, uint64 or float64), then as yaml v2 writes it. */
function numberText(value: number): string {
  if (Number.isInteger(value) && value >= -TWO_63 && value < TWO_64) return BigInt(value).toString();
  return goFloat(value);
}

/** Go's string order: by UTF-8 bytes, not UTF-16 code units. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** A JSON value as JSONObjectToYAMLObject then SortMapSlice leave it. */
function toNode(value: unknown): GoYamlNode {
  if (value === null || value === undefined) return { kind: 'scalar', text: 'null', isString: false };
  if (typeof value === 'string') return { kind: 'scalar', text: value, isString: true };
  if (typeof value === 'boolean') return { kind: 'scalar', text: String(value), isString: false };
  if (typeof value === 'number') return { kind: 'scalar', text: numberText(value), isString: false };
  if (Array.isArray(value)) return { kind: 'seq', items: value.map(toNode) };
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return {
      kind: 'map',
      items: entries.sort(([a], [b]) => byBytes(a, b)).map(([key, v]) => [key, toNode(v)]),
    };
  }
  throw new Error(`config digest: a ${typeof value} is not a JSON value`);
}

/** The bytes helm-controller hashes for these (already composed) values. */
export function encodeValues(values: Values): Buffer {
  const node = toNode(values);
  if (node.kind === 'map' && node.items.length === 0) return Buffer.alloc(0);
  return encodeGoYaml(node);
}

/** helm-controller's composition: the valuesFrom documents in order, then spec.values on top. */
export function composeValues(inline: Values, valuesFrom: readonly Values[] = []): Values {
  return mergeValues(valuesFrom.reduce<Values>(mergeValues, {}), inline);
}

/** `sha256:<hex>`, as `status.history[].configDigest` of a HelmRelease holds it. */
export function configDigest(inline: Values, valuesFrom: readonly Values[] = []): string {
  const hash = createHash('sha256').update(encodeValues(composeValues(inline, valuesFrom)));
  return `sha256:${hash.digest('hex')}`;
}
