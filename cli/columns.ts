/** One line of a summary table: a label, its value, and an optional note after the value. */
export interface Row {
  label: string;
  value: string | number;
  note?: string;
  /** 0: a top-level line (two spaces in), 1: a line under it (four spaces in). */
  depth?: 0 | 1;
}

/** Where values start when every label is short: the summary's long-standing layout. */
const MIN_VALUE_COLUMN = 23;

/**
 * Lines of a label/value table whose values start in one column, at least two spaces after the
 * longest label, so a long label (a skip reason, a source key ARN) never runs into its number.
 */
export function alignRows(rows: Row[]): string[] {
  const lead = (row: Row) => `${row.depth === 1 ? '    ' : '  '}${row.label}`;
  const width = Math.max(MIN_VALUE_COLUMN, ...rows.map((row) => lead(row).length + 2));
  return rows.map((row) => `${lead(row).padEnd(width)}${row.value}${row.note ? `  ${row.note}` : ''}`);
}
