import { describe, expect, it } from 'vitest';
import { alignRows } from '../../../cli/columns.js';
import { previewLines } from '../../../cli/rewrap-preview.js';
import { summaryLines } from '../../../cli/summary.js';
import { emptyCounts, type Run } from '../../../shared/runs/run-store.js';

const KEY_A = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_B = 'arn:aws:kms:us-east-1:111122223333:key/0000aaaa-12ab-34cd-56ef-1234567890ab';

const run = (overrides: Partial<Run>): Run => ({
  runId: 'r1',
  bucket: 'b',
  prefix: '',
  mode: 'envelope',
  startedAt: '2026-12-06T10:00:00.000Z',
  discovered: 0,
  pagesScanned: 1,
  scanComplete: true,
  counts: emptyCounts(),
  ...overrides,
});

describe('alignRows', () => {
  it('keeps values in the summary column while labels are short', () => {
    expect(
      alignRows([
        { label: 'skipped', value: 0 },
        { label: 'sse-c', value: 2, depth: 1 },
      ]),
    ).toEqual(['  skipped              0', '    sse-c              2']);
  });

  it('moves the whole column past the longest label, two spaces clear, whatever its length', () => {
    const long = 'x'.repeat(70);
    expect(
      alignRows([
        { label: 'failed', value: 1 },
        { label: long, value: 12, depth: 1, note: '(why)' },
      ]),
    ).toEqual([`  failed${' '.repeat(70 + 2 + 2 - 6)}1`, `    ${long}  12  (why)`]);
  });
});

describe('the run summary', () => {
  it('never glues a long reason to its count (issue 24: wrapped-under-another-key1)', () => {
    const counts = {
      ...emptyCounts(),
      skipped: 3,
      failed: 1,
      reasons: {
        'wrapped-under-another-key': 1,
        'unreadable-client-side-format': 2,
        EnvelopeAuthenticationError: 1,
      },
    };
    const lines = summaryLines(run({ discovered: 4, counts }), 0, 2);
    // The widest label, `    unreadable-client-side-format` (33), sets the column: 35.
    expect(lines).toEqual([
      'run r1 (envelope) s3://b/',
      '  objects found                    4',
      '  encrypted                        0',
      '  already compliant                0',
      '  skipped                          3',
      '    wrapped-under-another-key      1',
      '    unreadable-client-side-format  2',
      '  superseded                       0  (written by someone else meanwhile; newer bytes kept, run again to protect them)',
      '  failed                           1',
      '    EnvelopeAuthenticationError    1',
      '  time                             2.0 s (2.0 objects/s)',
    ]);
  });

  it("names a re-wrap run's moves and lists each source key on its own line, none under skipped", () => {
    const counts = {
      ...emptyCounts(),
      encrypted: 5,
      reasons: {
        'from-key-1234abcd-12ab-34cd-56ef-1234567890ab': 3,
        'from-key-0000aaaa-12ab-34cd-56ef-1234567890ab': 1,
        'from-key-ffff': 1,
      },
    };
    const lines = summaryLines(run({ mode: 'rewrap', bucket: '*', discovered: 5, counts }), 0, 1, [
      KEY_A,
      KEY_B,
    ]);
    const width = `    from ${KEY_A}`.length + 2;
    const row = (lead: string, value: number | string) => `${lead.padEnd(width)}${value}`;
    expect(lines).toEqual([
      'run r1 (rewrap) s3://*/',
      row('  objects found', 5),
      row('  re-wrapped', 5),
      row(`    from ${KEY_A}`, 3),
      row(`    from ${KEY_B}`, 1),
      row('    from key ffff', 1),
      row('  already compliant', 0),
      row('  skipped', 0),
      `${row('  superseded', 0)}  (written by someone else meanwhile; newer bytes kept, run again to protect them)`,
      row('  failed', 0),
      row('  time', '1.0 s (5.0 objects/s)'),
    ]);
  });
});

describe('the re-wrap preview', () => {
  it('prints what moves, then each bucket with its count', () => {
    const preview = {
      buckets: [
        { bucket: 'logs', objects: 3 },
        { bucket: 'data', objects: 2 },
      ],
      total: 5,
    };
    expect(previewLines(preview, { fromKeyArn: KEY_A, toKeyArn: KEY_B })).toEqual([
      `re-wrap 5 object(s) in 2 bucket(s) from ${KEY_A} to ${KEY_B}:`,
      '  s3://logs            3',
      '  s3://data            2',
    ]);
    expect(
      previewLines(
        { buckets: [], total: 0 },
        { fromKeyArn: KEY_A, toKeyArn: KEY_A, wrappedBefore: '2026-01-01T00:00:00.000Z' },
      ),
    ).toEqual([
      `nothing to re-wrap under ${KEY_A} (fresh key material), wrapped before 2026-01-01T00:00:00.000Z`,
    ]);
  });
});
