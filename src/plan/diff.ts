import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { manifestObjects } from './plan.js';

export const REDACTED = '<redacted>';

/** A Secret's data never leaves Regatta: each value becomes <redacted> (keys stay, they are names). */
function redact(object: Record<string, unknown>): Record<string, unknown> {
  if (object.kind !== 'Secret') return object;
  const hide = (data: unknown) =>
    data && typeof data === 'object'
      ? Object.fromEntries(Object.keys(data).map((key) => [key, REDACTED]))
      : data;
  return {
    ...object,
    ...(object.data ? { data: hide(object.data) } : {}),
    ...(object.stringData ? { stringData: hide(object.stringData) } : {}),
  };
}

function normalized(manifest: string, namespace: string): string {
  return manifestObjects(manifest, namespace)
    .map((item) => `# ${item.key}\n${stringify(redact(item.object), { sortMapEntries: true })}`)
    .join('---\n');
}

/** Pure: a unified diff from the live manifest to the one a deploy would apply. Empty when equal. */
export function manifestDiff(label: string, live: string, wanted: string, namespace: string): string {
  const before = normalized(live, namespace);
  const after = normalized(wanted, namespace);
  if (before === after) return '';
  return createTwoFilesPatch(`${label} (live)`, `${label} (planned)`, before, after, undefined, undefined, {
    context: 3,
  });
}
