import { postSlackMessage } from '../adapters/slack.js';
import type { Fleet } from '../model/fleet.js';
import type { DeployReport } from '../model/outcome.js';
import type { Release } from '../model/release.js';
import type { Progress } from '../report/progress.js';

export interface Announcement {
  channel: string;
  /** Which release it is about (for warnings). */
  about: string;
  text: string;
}

/** One Slack message per announcement; a failed notification is reported, never fatal. */
export async function announce(
  fleet: Fleet,
  announcements: readonly Announcement[],
  progress: Progress,
): Promise<void> {
  const variable = fleet.slackWebhookUrlEnv;
  if (!variable) return;
  const url = process.env[variable];
  for (const item of announcements) {
    if (!url) {
      progress.line(`warning: ${variable} is not set: no Slack message for ${item.about}`);
      continue;
    }
    try {
      await postSlackMessage(url, item.channel, item.text);
    } catch (error) {
      progress.line(`warning: Slack notification for ${item.about} failed: ${(error as Error).message}`);
    }
  }
}

/**
 * Pure: the messages a deploy sends — one per deploy (not one per release) to each channel its
 * changed releases name, with the waves' progress: sent when it pauses and when it ends.
 */
export function deployAnnouncements(report: DeployReport, releases: readonly Release[]): Announcement[] {
  const changed = releases.filter(
    (release) =>
      release.slackChannel &&
      report.outcomes.some(
        (o) =>
          o.entry.target.release === release.name &&
          o.entry.target.namespace === release.namespace &&
          o.status !== 'unchanged' &&
          o.status !== 'untouched',
      ),
  );
  const channels = [...new Set(changed.map((r) => r.slackChannel!))];
  const verdict = report.pausedBefore
    ? `paused before wave ${report.pausedBefore} (resume: regatta deploy --resume ${report.deployId}; abort: regatta abort ${report.deployId})`
    : report.cause === 'interrupt'
      ? 'interrupted and rolled back'
      : report.cause === 'failure'
        ? `FAILED${report.wave ? ` in wave ${report.wave}` : ''}${report.reason ? ` (${report.reason})` : ''}; ${report.rolledBack ? 'every cluster it changed is back on last good' : 'not rolled back'}`
        : 'succeeded';
  const waves = (report.waves ?? [])
    .map((w) => `${w.name} [${w.clusters.join(', ')}]: ${w.state}`)
    .join('; ');
  return channels.map((channel) => {
    const mine = changed.filter((r) => r.slackChannel === channel);
    const lines = mine.map((release) => {
      const outcomes = report.outcomes.filter(
        (o) => o.entry.target.release === release.name && o.entry.target.namespace === release.namespace,
      );
      return `${release.name}.${release.namespace} (${release.environment}): ${outcomes.map((o) => `${o.entry.target.cluster}: ${o.status}`).join(', ')}`;
    });
    return {
      channel,
      about: mine.map((r) => r.name).join(', '),
      text: [
        `regatta deploy ${report.deployId} ${verdict}`,
        ...(waves ? [`waves: ${waves}`] : []),
        ...lines,
      ].join('\n'),
    };
  });
}
