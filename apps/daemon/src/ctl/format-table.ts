/** A column of {@link formatTable}: its title, and whether its cells are right-aligned (numbers). */
export interface Column {
  title: string;
  right?: boolean;
}

/**
 * Lays `rows` out under `columns` as a plain-text table, each column as wide
 * as its widest cell, two spaces apart, without trailing spaces. A row with
 * fewer cells leaves the rest blank. Cost: O(cells).
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((column, index) => Math.max(column.title.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        return column.right === true ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.title)), ...rows.map(line)];
}
