import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

const REDACTED = '<redacted>';

/** The only key to a Secret's value: see `revealValuesForHelm`. */
const values = new WeakMap<Secret, string>();

/**
 * A secret value (read from Vault). Printing it any way — template string, `String()`,
 * `JSON.stringify`, `console.log`/`util.inspect`, an error message — gives `<redacted>`.
 * The value leaves it in exactly one place: the helm adapter, writing helm's standard input.
 */
export class Secret {
  constructor(value: string) {
    values.set(this, value);
    Object.freeze(this);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  /** Whether the secret equals a value (e.g. the live release's), without revealing it. */
  equals(other: unknown): boolean {
    if (other instanceof Secret) return other.equals(values.get(this));
    if (typeof other !== 'string') return false;
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(values.get(this) ?? ''), digest(other));
  }
}

/** Deep equality of two value trees where a Secret equals the plain string it holds. */
export function sameValues(a: unknown, b: unknown): boolean {
  if (a instanceof Secret) return a.equals(b);
  if (b instanceof Secret) return b.equals(a);
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValues(x, b[i]))
    );
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return (
      keysA.length === keysB.length &&
      keysA.every(
        (key) =>
          Object.hasOwn(b, key) &&
          sameValues((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
      )
    );
  }
  return a === b;
}

/**
 * Helm's standard input: the values as JSON with every Secret's value in place. Called by
 * src/adapters/helm.ts only (a unit test holds every other module to that).
 */
export function revealValuesForHelm(tree: unknown): string {
  return JSON.stringify(unwrap(tree));
}

/**
 * The Flux engine's sink: the plain values of a release's valuesFrom Secret, which Regatta
 * applies to the cluster itself. Called by src/gitops (deploy and bootstrap) only, where those
 * Kubernetes Secrets are built; the helm engine never calls it.
 */
export function revealSecretsForFlux(secrets: Readonly<Record<string, Secret>>): Record<string, string> {
  return Object.fromEntries(Object.entries(secrets).map(([id, secret]) => [id, values.get(secret) ?? '']));
}

function unwrap(tree: unknown): unknown {
  if (tree instanceof Secret) return values.get(tree);
  if (Array.isArray(tree)) return tree.map(unwrap);
  if (tree && typeof tree === 'object')
    return Object.fromEntries(Object.entries(tree).map(([key, value]) => [key, unwrap(value)]));
  return tree;
}
