import { CHART_DIGEST_LABEL, type HelmRevision } from '../model/helm-release.js';
import { deployIdOf, verdictOf } from './last-good.js';
import type { LiveRevision } from './plan.js';

/**
 * Pure: what is live for each release among these stored revisions (one namespace, any number of
 * releases, any order): its newest revision, judged against its own history. A release with no
 * revision is absent from the map. Only the newest revision's manifest and values are kept.
 */
export function liveRevisionsOf(revisions: readonly HelmRevision[]): Map<string, LiveRevision> {
  const histories = new Map<string, HelmRevision[]>();
  for (const revision of revisions) {
    const history = histories.get(revision.name);
    if (history) history.push(revision);
    else histories.set(revision.name, [revision]);
  }
  const live = new Map<string, LiveRevision>();
  for (const [name, history] of histories) {
    history.sort((a, b) => a.revision - b.revision);
    const last = history.at(-1)!;
    live.set(name, {
      revision: last.revision,
      status: last.status,
      verdict: verdictOf(last, history),
      deployId: deployIdOf(last, history),
      chartVersion: last.chartVersion,
      manifest: last.manifest,
      config: last.config,
      chartDigest: last.labels[CHART_DIGEST_LABEL],
    });
  }
  return live;
}
