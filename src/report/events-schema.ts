import type { DeployEvent, GateKind, TargetState } from '../model/events.js';
import type { OutcomeStatus, RollbackCause } from '../model/outcome.js';
import type { PlanAction } from '../model/plan.js';

type EventOf<T extends DeployEvent['type']> = Extract<DeployEvent, { type: T }>;

/** Every member of a string union, in order: a record literal must name each exactly once. */
const every = <T extends string>(members: Record<T, true>) => Object.keys(members) as T[];

export const TARGET_STATES = every<TargetState>({
  waiting: true,
  unchanged: true,
  deploying: true,
  'rolling-out': true,
  healthy: true,
  soaking: true,
  failed: true,
  stopped: true,
  'rolling-back': true,
  'rolled-back': true,
  'rollback-failed': true,
  'left-alone': true,
  untouched: true,
});
const GATE_KINDS = every<GateKind>({ soak: true, check: true, 'helm-test': true, approval: true });
const WAVE_STATES = every<EventOf<'wave'>['state']>({
  started: true,
  healthy: true,
  failed: true,
  skipped: true,
});
const GATE_STATES = every<EventOf<'gate'>['state']>({
  waiting: true,
  passed: true,
  failed: true,
  skipped: true,
});
const RESULTS = every<EventOf<'summary'>['result']>({
  succeeded: true,
  failed: true,
  interrupted: true,
  paused: true,
  'rollback-failed': true,
});
const OUTCOME_STATUSES = every<OutcomeStatus>({
  unchanged: true,
  deployed: true,
  failed: true,
  interrupted: true,
  'rolled-back': true,
  'rollback-failed': true,
  'left-alone': true,
  untouched: true,
});
const CAUSES = every<RollbackCause>({ failure: true, interrupt: true });
const PLAN_ACTIONS = every<PlanAction>({ install: true, upgrade: true, unchanged: true });

const at = { type: 'string', format: 'date-time', description: 'when it happened (ISO 8601, UTC)' } as const;
const text = { type: 'string' } as const;
const count = { type: 'integer', minimum: 0 } as const;

/** An event line: `type` and `at`, then its own fields (more may be added: readers ignore the rest). */
const event = (type: DeployEvent['type'], description: string, required: string[], properties: object) => ({
  description,
  type: 'object',
  required: ['type', 'at', ...required],
  properties: { type: { const: type }, at, ...properties },
});

const outcome = {
  type: 'object',
  required: ['cluster', 'release', 'namespace', 'action', 'status', 'seconds'],
  properties: {
    cluster: text,
    release: text,
    namespace: text,
    action: { enum: PLAN_ACTIONS },
    status: { enum: OUTCOME_STATUSES },
    revision: count,
    previousRevision: count,
    error: text,
    rollbackError: text,
    rolledBackTo: { ...count, description: '0: uninstalled (it was a first install)' },
    recovered: text,
    seconds: { type: 'number', minimum: 0 },
    timings: {
      type: 'object',
      description:
        'Seconds: observe (the list of Helm records that answered), render (helm template at plan time), upgrade (helm less its wait, and reading back the revision it made), postRender (part of upgrade; Helm 4), wait (for every resource to be ready), verdict (recording it), rollback',
      properties: Object.fromEntries(
        ['observe', 'render', 'upgrade', 'postRender', 'wait', 'verdict', 'rollback'].map((phase) => [
          phase,
          { type: 'number', minimum: 0 },
        ]),
      ),
      additionalProperties: false,
    },
  },
} as const;

/**
 * The JSON Lines of `regatta deploy --output json`: one object per line, one line per event,
 * the summary last. Published as schemas/deploy-events.schema.json.
 */
export const deployEventsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://regatta.dev/schemas/deploy-events.schema.json',
  title: 'One line of `regatta deploy --output json` (JSON Lines: events while it runs, the summary last)',
  type: 'object',
  required: ['type'],
  oneOf: [
    event(
      'deploy',
      'The deploy starts: its waves, in order (one named `all` without a rollout strategy).',
      ['deployId', 'waves', 'releases'],
      {
        deployId: text,
        waves: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'clusters'],
            properties: { name: text, clusters: { type: 'array', items: text } },
          },
        },
        releases: { type: 'array', items: { ...text, description: 'RELEASE.NAMESPACE' } },
      },
    ),
    event('target', 'A release × cluster changed state.', ['release', 'cluster', 'wave', 'state'], {
      release: { ...text, description: 'RELEASE.NAMESPACE' },
      cluster: text,
      wave: text,
      state: { enum: TARGET_STATES },
      detail: {
        ...text,
        description: 'e.g. `2/3 ready`, an error’s first line, `revision 4`; never a value',
      },
      revision: count,
    }),
    event('wave', 'A wave started, became healthy, failed or was skipped.', ['wave', 'state'], {
      wave: text,
      state: { enum: WAVE_STATES },
      detail: text,
    }),
    event('gate', 'A gate between waves: waited on, passed, failed or skipped.', ['wave', 'gate', 'state'], {
      wave: text,
      gate: { enum: GATE_KINDS },
      state: { enum: GATE_STATES },
      detail: { ...text, description: 'what is waited on: `soak 1:20 of 2:00`, a check, how to resume' },
    }),
    event('log', 'A free message (what a person reads on a terminal).', ['message'], { message: text }),
    event(
      'summary',
      'The last line: how the deploy ended, with its report (the single object `--output json` printed before JSON Lines).',
      ['deployId', 'result', 'exitCode', 'rolledBack', 'outcomes'],
      {
        deployId: text,
        result: { enum: RESULTS },
        exitCode: { type: 'integer', description: '0, 1, 3 or 130, as the command exits' },
        failedWave: text,
        reason: text,
        rolledBack: { type: 'boolean' },
        cause: { enum: CAUSES },
        outcomes: { type: 'array', items: outcome },
      },
    ),
  ],
} as const;
