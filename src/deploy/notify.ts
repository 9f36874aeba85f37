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

/** Pure: the messages a deploy sends — one per release that changed and names a channel. */
export function deployAnnouncements(report: DeployReport, releases: readonly Release[]): Announcement[] {
  return releases.flatMap((release) => {
    const mine = report.outcomes.filter(
      (o) => o.entry.target.release === release.name && o.entry.target.namespace === release.namespace,
    );
    if (!release.slackChannel || mine.every((o) => o.status === 'unchanged')) return [];
    const parts = mine.map((o) => `${o.entry.target.cluster}: ${o.status}`);
    return [
      {
        channel: release.slackChannel,
        about: release.name,
        text: `regatta deploy ${report.deployId} of ${release.name}.${release.namespace} (${release.environment}): ${parts.join(', ')}`,
      },
    ];
  });
}
