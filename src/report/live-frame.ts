import type { TargetState } from '../model/events.js';
import { ACTIVE_STATES, cellKey, type LiveCell, type LiveState } from './live-state.js';
import { clock, plain, type Paint, type Style } from './style.js';

export interface FrameOptions {
  now: Date;
  /** The terminal's width: cluster names are shortened to fit it when they can be. */
  columns?: number;
  paint?: Paint;
  /** The Ctrl-C hint, while there is something to stop (not once the deploy has ended). */
  hint?: boolean;
}

export const CTRL_C_HINT = 'Ctrl-C: stop and roll back; twice: stop at once';

const STATE_WORDS: Record<TargetState, string> = {
  waiting: 'waiting',
  unchanged: 'unchanged',
  deploying: 'deploying',
  'rolling-out': 'rolling out',
  healthy: 'healthy',
  soaking: 'soaking',
  failed: 'FAILED',
  stopped: 'stopped',
  'rolling-back': 'rolling back',
  'rolled-back': 'rolled back',
  'rollback-failed': 'ROLLBACK FAILED',
  'left-alone': 'left alone',
  untouched: 'not started',
};

const STATE_STYLES: Record<TargetState, Style> = {
  waiting: 'dim',
  unchanged: 'dim',
  deploying: 'cyan',
  'rolling-out': 'cyan',
  healthy: 'green',
  soaking: 'blue',
  failed: ['red', 'bold'],
  stopped: 'yellow',
  'rolling-back': 'yellow',
  'rolled-back': 'yellow',
  'rollback-failed': ['red', 'bold', 'inverse'],
  'left-alone': 'magenta',
  untouched: 'dim',
};

const seconds = (from: string, to: Date | string) =>
  ((typeof to === 'string' ? Date.parse(to) : to.getTime()) - Date.parse(from)) / 1000;

/** `rolling out 2/3 0:20`, `soaking 1:20`, `healthy 0:42` (how long it took), `waiting`. */
export function cellText(cell: LiveCell, now: Date): string {
  const word = STATE_WORDS[cell.state];
  const progress = cell.state === 'rolling-out' ? /\d+\/\d+/.exec(cell.detail ?? '')?.[0] : undefined;
  const label = progress ? `${word} ${progress}` : word;
  if (ACTIVE_STATES.has(cell.state)) {
    // A soak and a rollback count from their own start; deploying and rolling out from the target's.
    const from = cell.state === 'soaking' ? cell.since : (cell.startedAt ?? cell.since);
    return `${label} ${clock(seconds(from, now))}`;
  }
  if (cell.endedAt && cell.startedAt) return `${label} ${clock(seconds(cell.startedAt, cell.endedAt))}`;
  return label;
}

interface Piece {
  text: string;
  style?: Style;
}

const fit = (text: string, width: number) =>
  text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;

function layout(state: LiveState, now: Date, columns: number | undefined) {
  const groups = state.waves.filter((w) => w.clusters.length > 0);
  const clusters = groups.flatMap((w) => w.clusters);
  const cells = state.releases.map((release) =>
    clusters.map((cluster): Piece => {
      const cell = state.cells[cellKey(release, cluster)];
      return cell ? { text: cellText(cell, now), style: STATE_STYLES[cell.state] } : { text: '-' };
    }),
  );
  const releaseWidth = Math.max('RELEASE'.length, ...state.releases.map((r) => r.length));
  const cellWidths = clusters.map((_, c) => Math.max(1, ...cells.map((row) => row[c]!.text.length)));
  let widths = clusters.map((name, c) => Math.max(name.length, cellWidths[c]!));
  // Two spaces between columns, `  │  ` between waves.
  const separators = 2 * clusters.length + 3 * Math.max(0, groups.length - 1);
  const total = (ws: number[]) => releaseWidth + separators + ws.reduce((a, b) => a + b, 0);
  // Too wide for the terminal: cluster names give way before the cells do (down to 8 columns).
  if (columns !== undefined && total(widths) > columns) widths = cellWidths.map((w) => Math.max(w, 8));
  return { groups, clusters, cells, releaseWidth, widths };
}

/** One frame of the live view: title, clusters grouped by wave, one row per release, the gate, the hint. */
export function renderLiveFrame(state: LiveState, options: FrameOptions): string {
  const paint = options.paint ?? plain;
  const { now } = options;
  const { groups, clusters, cells, releaseWidth, widths } = layout(state, now, options.columns);
  const row = (first: Piece, pieces: Piece[]) => {
    let column = 0;
    const parts = [paint('bold', first.text.padEnd(releaseWidth))];
    for (const [g, group] of groups.entries()) {
      if (g > 0) parts.push(paint('dim', '│'));
      const inGroup = pieces.slice(column, column + group.clusters.length).map((piece, i) => {
        const text = fit(piece.text, widths[column + i]!);
        const padded = text + ' '.repeat(widths[column + i]! - text.length);
        return piece.style ? paint(piece.style, text) + padded.slice(text.length) : padded;
      });
      parts.push(inGroup.join('  '));
      column += group.clusters.length;
    }
    return parts.join('  ').trimEnd();
  };

  const elapsed = state.startedAt ? `  ${clock(seconds(state.startedAt, state.summary?.at ?? now))}` : '';
  const result = state.summary ? `: ${state.summary.result}` : '';
  const title = ['deploy', state.deployId].filter(Boolean).join(' ');
  const lines = [paint('bold', `${title}${result}`) + elapsed];
  if (clusters.length > 0) {
    let column = 0;
    const waveHeads = groups.map((group) => {
      const width =
        widths.slice(column, column + group.clusters.length).reduce((a, b) => a + b, 0) +
        2 * (group.clusters.length - 1);
      column += group.clusters.length;
      const mark = group.state === 'healthy' ? ' ✓' : group.state === 'failed' ? ' ✗' : '';
      const name = fit(`${group.name}${mark}`, width);
      return { text: `${name} ${'─'.repeat(Math.max(0, width - name.length - 1))}`.slice(0, width) };
    });
    lines.push(
      [
        ' '.repeat(releaseWidth),
        ...waveHeads.map((head, g) => (g > 0 ? `${paint('dim', '│')}  ` : '') + paint('dim', head.text)),
      ].join('  '),
    );
    lines.push(
      row(
        { text: 'RELEASE' },
        clusters.map((text) => ({ text, style: 'bold' })),
      ),
    );
    for (const [r, release] of state.releases.entries()) lines.push(row({ text: release }, cells[r]!));
  }
  // Lines a terminal would wrap are cut instead: a frame keeps its height as it is redrawn.
  const cut = (text: string) => (options.columns === undefined ? text : fit(text, options.columns));
  lines.push(...gateLines(state, now, paint, cut), ...problemLines(state, paint, cut));
  if (options.hint !== false && !state.summary) lines.push(paint('dim', CTRL_C_HINT));
  return lines.join('\n');
}

function gateLines(state: LiveState, now: Date, paint: Paint, cut: (text: string) => string): string[] {
  const gate = state.gate;
  if (!gate || gate.state === 'passed' || gate.state === 'skipped') return [];
  // The detail says what is waited on (`soak 1:20 of 2:00`, a check's command, how to resume).
  const what = gate.detail ?? gate.gate;
  if (gate.state === 'failed') return [paint('red', cut(`wave ${gate.wave}: ${gate.gate} failed: ${what}`))];
  return [
    paint(
      'blue',
      cut(`wave ${gate.wave} waits on its ${gate.gate} gate: ${what} (${clock(seconds(gate.since, now))})`),
    ),
  ];
}

/** Why a target failed or was left alone (kept while it rolls back): one line each, at most 5. */
function problemLines(state: LiveState, paint: Paint, cut: (text: string) => string): string[] {
  const problems: string[] = [];
  for (const release of state.releases)
    for (const wave of state.waves)
      for (const cluster of wave.clusters) {
        const cell = state.cells[cellKey(release, cluster)];
        if (cell?.problem) problems.push(`${cluster} ${release}: ${cell.problem}`);
      }
  const shown = problems.slice(0, 5).map((p) => paint('red', cut(p)));
  if (problems.length > 5)
    shown.push(`… and ${problems.length - 5} more (the table at the end has them all)`);
  return shown;
}
