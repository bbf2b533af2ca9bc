import type { AuditRecord } from './audit-log.js';

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
  'etagBefore',
  'etagAfter',
  'versionIdBefore',
  'versionIdAfter',
  'kmsRequestIds',
  'reason',
  'error',
  'reconciled',
  'actor',
] as const satisfies ReadonlyArray<keyof AuditRecord>;

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = Array.isArray(value) ? value.join(' ') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
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
