import type { Plan } from '../model/plan.js';
import { leaseName } from './lease.js';
import type { PlannedWave } from './waves.js';

/**
 * A deploy that would change nothing may conclude without taking its fleet lock (a Lease created
 * and deleted per release × cluster: most of a no-op's round trips), when all of this holds:
 *
 * - every target is known unchanged, observed before any lock: its live revision was made by a
 *   Regatta deploy that succeeded (verdict `good`), from the same chart digest and version with the
 *   same values (`knownUnchanged`). A pending, failed or undecided revision — a deploy in flight,
 *   killed or rolled back — is never that, so it goes the locked way (recovery, upgrade, exit 4);
 * - no wave runs a gate (soak, checks, `helm test`) or waits for an approval: those run even when
 *   nothing changed, and a pause keeps the lock;
 * - it resumes nothing (`--resume` takes its paused lock back);
 * - looked at again, every list of Helm records is as it was (`sameRecords`) and no lease of its
 *   releases exists (`leasesInTheWay`). Every write to Helm's records (a new revision, a verdict,
 *   a pending revision marked failed, whoever makes it) changes a record's version: so at every
 *   instant between the two looks, every target was as first observed — a deploy reported
 *   successful is what runs, without taking anything. A lease found — a deploy in flight, paused, or a lease left
 *   behind — sends it the locked way, which says who holds it (exit 4) or takes over a dead one.
 *
 * This function is the part of that decision that needs no second look.
 */
export function mayGoWithoutLock(plan: Plan, waves: readonly PlannedWave[], resume?: string): boolean {
  return (
    resume === undefined &&
    plan.entries.length > 0 &&
    plan.entries.every((entry) => entry.action === 'unchanged') &&
    waves.every(
      (wave) =>
        !wave.approval && wave.soakSeconds === 0 && wave.checks.length === 0 && wave.helmTests.length === 0,
    )
  );
}

/** Pure: the same records (names and resourceVersions, see `recordVersions`) in both looks. */
export function sameRecords(before: readonly string[], after: readonly string[]): boolean {
  return before.length === after.length && before.every((version, index) => version === after[index]);
}

/**
 * Pure: the leases of one namespace that are the lock of one of these releases, whoever holds
 * them and whether or not they expired (the locked way sorts that out).
 */
export function leasesInTheWay(
  leases: readonly { name: string }[],
  releases: readonly string[],
): { name: string }[] {
  const locks = new Set(releases.map(leaseName));
  return leases.filter((lease) => locks.has(lease.name));
}
