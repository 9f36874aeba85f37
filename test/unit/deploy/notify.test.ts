import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployAnnouncements } from '../../../src/deploy/notify.js';
import type { Outcome } from '../../../src/model/outcome.js';
import type { Release } from '../../../src/model/release.js';
import { entry } from './support.js';

const release = (name: string, slackChannel?: string) =>
  ({ name, namespace: 'web', environment: 'prod', slackChannel }) as Release;
const outcome = (name: string, cluster: string, status: Outcome['status']): Outcome => {
  const e = entry(cluster, 'upgrade', 1);
  return { entry: { ...e, target: { ...e.target, release: name } }, status, seconds: 1 };
};

describe('Slack: one message per deploy', () => {
  it('one message to each channel, for every changed release in it, with the waves and the verdict', () => {
    const messages = deployAnnouncements(
      {
        deployId: 'd1',
        rolledBack: true,
        cause: 'failure',
        wave: 'rest',
        reason: 'us: timed out',
        waves: [
          { name: 'canary', clusters: ['eu'], state: 'done' },
          { name: 'rest', clusters: ['us'], state: 'failed' },
        ],
        outcomes: [
          outcome('a', 'eu', 'rolled-back'),
          outcome('b', 'eu', 'rolled-back'),
          outcome('c', 'eu', 'unchanged'),
        ],
      },
      [release('a', '#team'), release('b', '#team'), release('c', '#other'), release('d')],
    );
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.channel, '#team');
    assert.match(messages[0]!.text, /^regatta deploy d1 FAILED in wave rest \(us: timed out\)/);
    assert.match(messages[0]!.text, /waves: canary \[eu\]: done; rest \[us\]: failed/);
    assert.match(messages[0]!.text, /a\.web \(prod\): eu: rolled-back\nb\.web/);
  });

  it('a paused deploy says how to resume or abort', () => {
    const [message] = deployAnnouncements(
      { deployId: 'd2', rolledBack: false, pausedBefore: 'rest', outcomes: [outcome('a', 'eu', 'deployed')] },
      [release('a', '#team')],
    );
    assert.match(
      message!.text,
      /paused before wave rest \(resume: regatta deploy --resume d2; abort: regatta abort d2\)/,
    );
  });
});
