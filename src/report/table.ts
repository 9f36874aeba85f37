export interface TableOptions {
  /** Styles a cell's text (row 0 is the first row after the header); padding is added after. */
  paint?: (text: string, row: number, column: number) => string;
}

/** A plain left-aligned text table; colours only when the caller paints cells. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[], row?: number) =>
    cells
      .map((cell, column) => {
        const padding = ' '.repeat(Math.max(0, (widths[column] ?? 0) - cell.length));
        const text = row !== undefined && options.paint ? options.paint(cell, row, column) : cell;
        return column === cells.length - 1 ? text : text + padding;
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map((row, r) => line(row, r))].join('\n');
}
