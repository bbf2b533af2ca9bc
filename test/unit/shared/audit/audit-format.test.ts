import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, csvHeader, csvRow, jsonLine } from '../../../../shared/audit/audit-format.js';
import type { AuditRecord } from '../../../../shared/audit/audit-record.js';

const record: AuditRecord = {
  decision: 'skipped',
  runId: 'r1',
  jobId: 'j1',
  actor: 'worker:1',
  bucket: 'b',
  key: 'reports/"q1", final\nv2.csv',
  mode: 'envelope',
  reason: 'sse-c',
  kmsRequestIds: ['a', 'b'],
  at: '2026-11-23T10:00:00.000Z',
};

describe('audit export formats', () => {
  it('quotes CSV fields with commas, quotes and line breaks (RFC 4180) and leaves others bare', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(true)).toBe('true');
  });

  it.each([
    ["=cmd|' /C calc'!A0", `"'=cmd|' /C calc'!A0"`],
    ['+1', `"'+1"`],
    ['-1', `"'-1"`],
    ['@SUM(1)', `"'@SUM(1)"`],
    ['\tx', `"'\tx"`],
    ['\rx', `"'\rx"`],
    ['=A1,"b"', `"'=A1,""b"""`],
  ])('neutralises a formula-leading cell %j: a leading quote, the cell quoted (OWASP CSV Injection)', (value, cell) => {
    expect(csvField(value)).toBe(cell);
  });

  it('leaves cells alone that start a formula only further in', () => {
    expect(csvField('a=1')).toBe('a=1');
    expect(csvField('data/-1')).toBe('data/-1');
    expect(csvField(' =1')).toBe(' =1');
    expect(csvField("'quoted")).toBe("'quoted");
  });

  it('neutralises every column, not just the key', () => {
    const row = csvRow({ ...record, key: '@k', reason: '-r', error: '+e' });
    expect(row).toContain(`,"'@k",`);
    expect(row).toContain(`,"'-r","'+e",`);
  });

  it('writes one CSV row per record, in the header order', () => {
    const header = csvHeader().trimEnd().split(',');
    expect(header).toEqual([...CSV_COLUMNS]);
    const row = csvRow(record);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(
      row.startsWith('2026-11-23T10:00:00.000Z,r1,j1,skipped,b,"reports/""q1"", final\nv2.csv",envelope,'),
    ).toBe(true);
    expect(row).toContain(',a b,sse-c,');
  });

  it('writes one JSON line per record that parses back to the same record', () => {
    const line = jsonLine(record);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd().includes('\n')).toBe(false);
    expect(JSON.parse(line)).toEqual(record);
    expect(Object.keys(JSON.parse(line))[0]).toBe('at');
  });
});
