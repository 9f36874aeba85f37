import { randomBytes } from 'node:crypto';

/**
 * A deploy id sorts by time and is a valid label value:
 * `20261125T143001Z-3fa2` (+ `-g<commit>` when run in a git checkout).
 */
export function formatDeployId(now: Date, random: string, commit?: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return [stamp, random, ...(commit ? [`g${commit}`] : [])].join('-');
}

export function newDeployId(commit?: string): string {
  return formatDeployId(new Date(), randomBytes(2).toString('hex'), commit);
}

export const DEPLOY_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{4}(-g[0-9a-f]+)?$/;
