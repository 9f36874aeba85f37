import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { executePlan } from '../../../src/deploy/execute.js';
import type { DeployEvent, TargetState } from '../../../src/model/events.js';
import { packageRoot } from '../../../src/paths.js';
import { deployEventsSchema, TARGET_STATES } from '../../../src/report/events-schema.js';
import { deployResultJson, jsonLinesProgress } from '../../../src/report/json-lines.js';
import { registerSecretValue } from '../../../src/report/redact.js';
import { entry, good, recordingActions } from '../deploy/support.js';

const ajv = new Ajv({
  allErrors: true,
  formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ },
});
const validate = ajv.compile(deployEventsSchema);
const valid = (line: unknown) => {
  const ok = validate(line);
  return ok ? '' : `${JSON.stringify(line)}: ${ajv.errorsText(validate.errors)}`;
};

const AT = '2026-11-25T10:00:00.000Z';
const DEPLOY = '20261125T100000Z-aaaa';

/** Records every line written, as parsed JSON. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { stream, lines };
}

describe('deploy --output json: JSON Lines and their schema', () => {
  it('schemas/deploy-events.schema.json is the schema of the events (src/report/events-schema.ts)', () => {
    const published = JSON.parse(readFileSync(`${packageRoot}/schemas/deploy-events.schema.json`, 'utf8'));
    assert.deepEqual(
      published,
      JSON.parse(JSON.stringify(deployEventsSchema)),
      'regenerate with: node -e "import(\'./dist/src/report/events-schema.js\').then((m) => console.log(JSON.stringify(m.deployEventsSchema, null, 2)))" > schemas/deploy-events.schema.json',
    );
  });

  it('every kind of event, and every target state, is a valid line', () => {
    const states: TargetState[] = TARGET_STATES;
    const events: DeployEvent[] = [
      {
        type: 'deploy',
        at: AT,
        deployId: DEPLOY,
        waves: [{ name: 'all', clusters: ['eu'] }],
        releases: ['web.web'],
      },
      ...states.map((state): DeployEvent => ({
        type: 'target',
        at: AT,
        release: 'web.web',
        cluster: 'eu',
        wave: 'all',
        state,
      })),
      {
        type: 'target',
        at: AT,
        release: 'web.web',
        cluster: 'eu',
        wave: 'all',
        state: 'healthy',
        detail: 'x',
        revision: 4,
      },
      { type: 'wave', at: AT, wave: 'canary', state: 'failed', detail: 'eu failed' },
      {
        type: 'gate',
        at: AT,
        wave: 'canary',
        gate: 'approval',
        state: 'waiting',
        detail: 'regatta deploy --resume X',
      },
      { type: 'log', at: AT, message: 'hello' },
    ];
    assert.deepEqual(events.map(valid).filter(Boolean), []);
  });

  it('refuses what the types refuse (a line this schema accepts is not just any object)', () => {
    assert.notEqual(
      valid({ type: 'target', at: AT, release: 'web.web', cluster: 'eu', wave: 'all', state: 'exploded' }),
      '',
    );
    assert.notEqual(valid({ type: 'gate', at: AT, wave: 'canary', gate: 'soak' }), '');
    assert.notEqual(valid({ type: 'nonsense', at: AT }), '');
  });

  it('a deploy streams one valid line per event, and ends with the summary holding the report', async () => {
    const { stream, lines } = capture();
    const progress = jsonLinesProgress(stream);
    const clusters = ['eu', 'us', 'asia'];
    const histories = Object.fromEntries(clusters.map((c) => [c, [good(1, 'd1', 'deployed')]]));
    const { actions } = recordingActions(histories, { deployId: DEPLOY, failIn: ['us'] });
    const report = await executePlan(
      { plan: { entries: clusters.map((c) => entry(c, 'upgrade', 1)) } },
      {
        helm: { path: 'helm', major: 4, env: {} },
        deployId: DEPLOY,
        timeoutSeconds: 30,
        rollbackTimeoutSeconds: 30,
        concurrency: 1,
        rollback: true,
        progress,
      },
      actions,
    );
    lines.push(JSON.stringify(deployResultJson(report, progress.summary())));
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(parsed.map(valid).filter(Boolean), []);
    assert.ok(parsed.some((l) => l.type === 'target' && l.cluster === 'us' && l.state === 'failed'));
    assert.ok(
      parsed.some((l) => l.type === 'log'),
      'free lines are log events',
    );
    const last = parsed.at(-1)!;
    assert.equal(parsed.filter((l) => l.type === 'summary').length, 1);
    assert.deepEqual(
      {
        type: last.type,
        result: last.result,
        exitCode: last.exitCode,
        deployId: last.deployId,
        rolledBack: last.rolledBack,
        cause: last.cause,
      },
      {
        type: 'summary',
        result: 'failed',
        exitCode: 1,
        deployId: DEPLOY,
        rolledBack: true,
        cause: 'failure',
      },
    );
    assert.equal((last.outcomes as unknown[]).length, 3);
  });

  it('holds an engine summary back and merges it into the last line (a paused deploy, the wave that failed)', () => {
    const { stream, lines } = capture();
    const progress = jsonLinesProgress(stream);
    progress.event({
      type: 'summary',
      at: AT,
      deployId: DEPLOY,
      result: 'paused',
      exitCode: 0,
      reason: 'approval before rest',
    });
    assert.deepEqual(lines, []);
    const last = deployResultJson({ deployId: DEPLOY, outcomes: [], rolledBack: false }, progress.summary());
    assert.equal(valid(last), '');
    assert.deepEqual(
      [last.result, last.exitCode, last.reason, last.at],
      ['paused', 0, 'approval before rest', AT],
    );
  });

  it('redacts secret values in every field', () => {
    registerSecretValue('s3cr3t-"quoted"');
    const { stream, lines } = capture();
    jsonLinesProgress(stream).line('helm said: s3cr3t-"quoted" is wrong');
    assert.equal((JSON.parse(lines[0]!) as { message: string }).message, 'helm said: <redacted> is wrong');
  });
});
