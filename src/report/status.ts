import type { ReleaseCell, StatusMatrix } from '../deploy/status.js';
import { DEPLOY_ID_PATTERN } from '../deploy/deploy-id.js';
import { plain, type Paint, type Style } from './style.js';
import { renderTable } from './table.js';

export interface StatusOptions {
  /** One row per release × cluster with every field, instead of the matrix. */
  wide?: boolean;
  paint?: Paint;
  /** The matrix splits long cluster names over two header lines to fit this width. */
  columns?: number;
}

type Mark = '✓' | '?' | '✗' | '~' | '!';

/** What a cell's live revision is, in one character. */
export function statusMark(cell: ReleaseCell): Mark {
  if (cell.status === 'failed' || cell.verdict === 'failed') return '✗';
  if (cell.status.startsWith('pending-')) return '~';
  if (cell.status !== 'deployed') return '!';
  return cell.verdict === 'good' ? '✓' : '?';
}

const MARK_STYLES: Record<Mark, Style> = {
  '✓': 'green',
  '?': 'yellow',
  '✗': 'red',
  '~': 'yellow',
  '!': 'magenta',
};

/**
 * A deploy id's short form: the four random characters after its time (`20261125T143001Z-3fa2-g1a2b3c`
 * → `3fa2`), which tell deploys of the same commit apart; an id of another form, its last 6.
 */
export function shortDeployRef(deployId: string | undefined): string {
  if (!deployId) return '-';
  return DEPLOY_ID_PATTERN.test(deployId) ? deployId.split('-')[1]! : deployId.slice(-6);
}

export const STATUS_LEGEND = [
  '✓ deployed by a deploy that succeeded   ? deployed, its deploy did not conclude   ✗ failed   - not installed',
  '~ pending: a helm runs, or was stopped (regatta recover)   ! another Helm status (--wide)',
  "cell: revision, mark, deploy (the 4 characters after the time in its id), and the chart version if not CHART's",
].join('\n');

/**
 * What the matrix cannot say in a cell, one line each under it: clusters that did not answer
 * (and why), releases left pending. Whatever else `status` learns about a release — a deploy
 * paused between waves, say — belongs here too.
 */
export function statusNotes(matrix: StatusMatrix): string[] {
  const notes = Object.entries(matrix.unreachable).map(
    ([cluster, why]) => `${cluster} did not answer (${why}): what it runs is not known`,
  );
  for (const row of matrix.releases)
    for (const cluster of matrix.clusters) {
      const cell = row.cells[cluster];
      if (cell?.status.startsWith('pending-'))
        notes.push(
          `${row.release}.${row.namespace} in ${cluster} is ${cell.status} (revision ${cell.revision}): if no deploy runs, \`regatta recover ${row.release}.${row.namespace}\``,
        );
    }
  for (const lock of matrix.locks ?? [])
    notes.push(
      lock.pausedBefore
        ? `${lock.release}: deploy ${lock.deployId} is paused before wave ${lock.pausedBefore} (lock held in ${lock.clusters.join(', ')}): \`regatta deploy --resume ${lock.deployId}\` with the same release files, or \`regatta abort ${lock.deployId}\``
        : `${lock.release}: deploy ${lock.deployId} is running (lock held in ${lock.clusters.join(', ')})`,
    );
  return notes;
}

/** `prod-europe-west1` over two lines (`prod-` / `europe-west1`). */
function headerLines(name: string): [string, string] {
  const dash = name.indexOf('-');
  return dash < 0 ? ['', name] : [name.slice(0, dash + 1), name.slice(dash + 1)];
}

/** The chart version most of a row's clusters run: said once, in the CHART column. */
function mainVersion(cells: readonly (ReleaseCell | undefined)[]): string {
  const counts = new Map<string, number>();
  for (const cell of cells) if (cell) counts.set(cell.chartVersion, (counts.get(cell.chartVersion) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '-';
}

function renderMatrix(matrix: StatusMatrix, paint: Paint, columns: number): string {
  const body = matrix.releases.map((row) => {
    const version = mainVersion(matrix.clusters.map((cluster) => row.cells[cluster]));
    const cells = matrix.clusters.map((cluster): { text: string; style?: Style } => {
      if (matrix.unreachable[cluster]) return { text: 'unreachable', style: 'red' };
      const cell = row.cells[cluster];
      if (!cell) return { text: '-' };
      const mark = statusMark(cell);
      const other = cell.chartVersion === version ? '' : `${cell.chartVersion} `;
      return {
        text: `${other}r${cell.revision} ${mark} ${shortDeployRef(cell.deployId)}`,
        style: MARK_STYLES[mark],
      };
    });
    return { name: `${row.release}.${row.namespace}`, version, cells };
  });
  const table = (headers: readonly (readonly string[])[]) =>
    renderTable(
      headers[0]!,
      [...headers.slice(1), ...body.map((row) => [row.name, row.version, ...row.cells.map((c) => c.text)])],
      {
        paint: (text, r, c) => {
          const style = c > 1 ? body[r - (headers.length - 1)]?.cells[c - 2]?.style : undefined;
          return style ? paint(style, text) : text;
        },
      },
    );
  const flat = table([['RELEASE', 'CHART', ...matrix.clusters]]);
  if (Math.max(...flat.split('\n').map((line) => line.length)) <= columns) return flat;
  // Too wide: cluster names go over two lines, split after their first dash.
  const split = matrix.clusters.map(headerLines);
  return table([
    ['', '', ...split.map(([first]) => first)],
    ['RELEASE', 'CHART', ...split.map(([, second]) => second)],
  ]);
}

function renderLong(matrix: StatusMatrix, paint: Paint): string {
  const rows: string[][] = [];
  const styles: (Style | undefined)[] = [];
  for (const row of matrix.releases)
    for (const cluster of matrix.clusters) {
      const release = `${row.release}.${row.namespace}`;
      const cell = row.cells[cluster];
      if (matrix.unreachable[cluster]) {
        rows.push([release, cluster, '', '', 'unreachable', '', '', '']);
        styles.push('red');
      } else if (cell) {
        const mark = statusMark(cell);
        rows.push([
          release,
          cluster,
          cell.chartVersion,
          String(cell.revision),
          cell.status,
          cell.verdict,
          mark,
          cell.deployId ?? '-',
        ]);
        styles.push(MARK_STYLES[mark]);
      } else {
        rows.push([release, cluster, '-', '-', 'not installed', '', '', '']);
        styles.push(undefined);
      }
    }
  return renderTable(['RELEASE', 'CLUSTER', 'CHART', 'REVISION', 'STATUS', 'VERDICT', '', 'DEPLOY'], rows, {
    paint: (text, r, c) => {
      const style = styles[r];
      return style && (c === 4 || c === 6) ? paint(style, text) : text;
    },
  });
}

/**
 * `regatta status`: releases × clusters that fit a 120-column terminal at 6 clusters (short
 * cells, a legend), or with `wide` one row per release × cluster holding everything.
 */
export function renderStatus(matrix: StatusMatrix, options: StatusOptions = {}): string {
  const paint = options.paint ?? plain;
  const table = options.wide
    ? renderLong(matrix, paint)
    : renderMatrix(matrix, paint, options.columns ?? 120);
  const notes = statusNotes(matrix).map((note) => paint('yellow', note));
  return [table, ...(options.wide ? [] : [paint('dim', STATUS_LEGEND)]), ...notes].join('\n');
}
