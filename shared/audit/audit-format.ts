import type { AuditRecord } from './audit-record.js';

/** The CSV columns, in order: every field an audit record can carry. */
export const CSV_COLUMNS = [
  'at',
  'runId',
  'jobId',
  'decision',
  'bucket',
  'key',
  'mode',
  'method',
  'keyArn',
  'keyArnBefore',
  'etagBefore',
  'etagAfter',
  'versionIdBefore',
  'versionIdAfter',
  'kmsRequestIds',
  'reason',
  'error',
  'reconciled',
  'actor',
  'protectionBefore',
  'size',
] as const satisfies ReadonlyArray<keyof AuditRecord>;

/**
 * A cell a spreadsheet would read as a formula: OWASP "CSV Injection" lists these leading
 * characters (an object key such as `=HYPERLINK(...)` or `@SUM(...)` is any user's to choose).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: RFC 4180 quoting (fields with a comma, quote or line break are quoted, quotes
 * doubled), and a cell that would start a formula is prefixed with `'` and quoted, as OWASP
 * advises, so spreadsheets show it as text. JSON lines keep every value exact.
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const raw = Array.isArray(value) ? value.join(' ') : String(value);
  const formula = FORMULA_START.test(raw);
  const text = formula ? `'${raw}` : raw;
  return formula || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(record: AuditRecord): string {
  return `${CSV_COLUMNS.map((column) => csvField(record[column])).join(',')}\r\n`;
}

/** One record per line, keys in a stable order so exports diff cleanly. */
export function jsonLine(record: AuditRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const column of CSV_COLUMNS) if (record[column] !== undefined) ordered[column] = record[column];
  for (const [name, value] of Object.entries(record)) if (!(name in ordered)) ordered[name] = value;
  return `${JSON.stringify(ordered)}\n`;
}
