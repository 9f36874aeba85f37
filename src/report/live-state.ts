import type { DeployEvent, GateKind, TargetState } from '../model/events.js';

type EventOf<T extends DeployEvent['type']> = Extract<DeployEvent, { type: T }>;

/** Where one release × cluster stands, and since when. */
export interface LiveCell {
  state: TargetState;
  /** When it entered this state. */
  since: string;
  /** When its work began (first `deploying`), for the time a finished target took. */
  startedAt?: string;
  /** When it reached a state it stays in (healthy, failed, rolled back…). */
  endedAt?: string;
  detail?: string;
  revision?: number;
  /** Why it failed or was left alone: still shown once it is rolled back. */
  problem?: string;
}

export interface LiveWave {
  name: string;
  clusters: string[];
  state?: EventOf<'wave'>['state'];
}

export interface LiveGate {
  wave: string;
  gate: GateKind;
  state: EventOf<'gate'>['state'];
  since: string;
  detail?: string;
}

/** Everything the live view knows, built from the event stream alone. */
export interface LiveState {
  deployId?: string;
  startedAt?: string;
  waves: LiveWave[];
  releases: string[];
  /** By `cellKey(release, cluster)`. */
  cells: Record<string, LiveCell>;
  gate?: LiveGate;
  summary?: EventOf<'summary'>;
}

export const emptyLiveState = (): LiveState => ({ waves: [], releases: [], cells: {} });

export const cellKey = (release: string, cluster: string) => `${release}\u0000${cluster}`;

/** States a target does its work in: their clock runs. */
export const ACTIVE_STATES: ReadonlySet<TargetState> = new Set([
  'deploying',
  'rolling-out',
  'soaking',
  'rolling-back',
]);

/** States a target ends a phase in: their clock shows how long the work took. */
const FINAL_STATES: ReadonlySet<TargetState> = new Set([
  'healthy',
  'failed',
  'stopped',
  'rolled-back',
  'rollback-failed',
]);

const PROBLEM_STATES: ReadonlySet<TargetState> = new Set(['failed', 'rollback-failed', 'left-alone']);

function withTarget(state: LiveState, event: EventOf<'target'>): LiveState {
  let waves = state.waves;
  if (!waves.some((w) => w.clusters.includes(event.cluster))) {
    // No `deploy` event named this cluster's wave (yet): place it by the wave the event says.
    const wave = waves.find((w) => w.name === event.wave);
    waves = wave
      ? waves.map((w) => (w === wave ? { ...w, clusters: [...w.clusters, event.cluster] } : w))
      : [...waves, { name: event.wave, clusters: [event.cluster] }];
  }
  const releases = state.releases.includes(event.release)
    ? state.releases
    : [...state.releases, event.release];
  const key = cellKey(event.release, event.cluster);
  const before = state.cells[key];
  const changed = before?.state !== event.state;
  const startedAt =
    event.state === 'deploying' && !before?.startedAt
      ? event.at
      : event.state === 'rolling-back' && before?.state !== 'rolling-back'
        ? event.at // a rollback's own clock
        : before?.startedAt;
  const cell: LiveCell = {
    state: event.state,
    since: changed ? event.at : (before?.since ?? event.at),
    startedAt,
    endedAt: FINAL_STATES.has(event.state) ? event.at : undefined,
    detail: event.detail,
    revision: event.revision ?? before?.revision,
    problem: PROBLEM_STATES.has(event.state) ? (event.detail ?? event.state) : before?.problem,
  };
  return { ...state, waves, releases, cells: { ...state.cells, [key]: cell } };
}

/** The state after one more event (pure: the old state is left as it was). */
export function applyEvent(state: LiveState, event: DeployEvent): LiveState {
  switch (event.type) {
    case 'deploy':
      return {
        ...state,
        deployId: event.deployId,
        startedAt: state.startedAt ?? event.at,
        waves: event.waves.map((w) => ({ name: w.name, clusters: [...w.clusters] })),
        releases: [...new Set([...event.releases, ...state.releases])],
      };
    case 'target':
      return withTarget({ ...state, startedAt: state.startedAt ?? event.at }, event);
    case 'wave': {
      const known = state.waves.some((w) => w.name === event.wave);
      return {
        ...state,
        waves: known
          ? state.waves.map((w) => (w.name === event.wave ? { ...w, state: event.state } : w))
          : [...state.waves, { name: event.wave, clusters: [], state: event.state }],
      };
    }
    case 'gate':
      return {
        ...state,
        gate: {
          wave: event.wave,
          gate: event.gate,
          state: event.state,
          detail: event.detail,
          since:
            state.gate?.wave === event.wave &&
            state.gate.gate === event.gate &&
            state.gate.state === event.state
              ? state.gate.since
              : event.at,
        },
      };
    case 'summary':
      return { ...state, deployId: state.deployId ?? event.deployId, summary: event };
    case 'log':
      return state;
  }
}

export const replay = (events: readonly DeployEvent[]): LiveState =>
  events.reduce(applyEvent, emptyLiveState());
