import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { manifestObjects, type ManifestObject } from './manifests.js';

export const REDACTED = '<redacted>';
const REDACTED_CHANGED = '<redacted, changed>';

type Data = Record<string, unknown> | undefined;

/**
 * A Secret's data never leaves Regatta: each value becomes <redacted>, or on the planned side
 * <redacted, changed> when it differs from the live one, so a changed secret still shows.
 */
function redact(object: Record<string, unknown>, live?: Record<string, unknown>): Record<string, unknown> {
  if (object.kind !== 'Secret') return object;
  const hide = (data: Data, liveData: Data) =>
    data &&
    Object.fromEntries(
      Object.entries(data).map(([key, value]) => [
        key,
        live && liveData?.[key] !== value ? REDACTED_CHANGED : REDACTED,
      ]),
    );
  const copy = { ...object };
  for (const field of ['data', 'stringData'] as const) {
    if (copy[field]) copy[field] = hide(copy[field] as Data, live?.[field] as Data);
  }
  return copy;
}

function render(objects: readonly ManifestObject[], live?: ReadonlyMap<string, ManifestObject>): string {
  return objects
    .map(
      (item) =>
        `# ${item.key}\n${stringify(redact(item.object, live ? (live.get(item.key)?.object ?? {}) : undefined), { sortMapEntries: true })}`,
    )
    .join('---\n');
}

/** Pure: a unified diff from the live manifest to the one a deploy would apply. Empty when equal. */
export function manifestDiff(
  label: string,
  liveManifest: string,
  plannedManifest: string,
  namespace: string,
): string {
  const live = manifestObjects(liveManifest, namespace);
  const planned = manifestObjects(plannedManifest, namespace);
  const before = render(live);
  const after = render(planned, new Map(live.map((item) => [item.key, item])));
  if (before === after) return '';
  return createTwoFilesPatch(`${label} (live)`, `${label} (planned)`, before, after, undefined, undefined, {
    context: 3,
  });
}
