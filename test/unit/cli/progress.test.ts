import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRunProgress, progressLine } from '../../../cli/progress.js';
import { emptyCounts, type Run } from '../../../shared/runs/run-store.js';

const run = (discovered: number, scanComplete: boolean, encrypted = 0): Run => ({
  runId: 'r',
  bucket: 'b',
  prefix: '',
  mode: 'envelope',
  startedAt: '2026-11-23T10:00:00.000Z',
  discovered,
  pagesScanned: scanComplete ? 1 : 0,
  scanComplete,
  counts: { ...emptyCounts(), encrypted },
});

/** Draws the bar as '#' for done and '.' for to do, ten wide. */
const bar = (fraction: number) => '#'.repeat(Math.round(fraction * 10)).padEnd(10, '.');

describe('the run progress line', () => {
  it('says scanning, with the count found so far, before the scan has found anything', () => {
    const line = progressLine('encrypting', run(0, false), 0, bar);
    expect(line).toBe('encrypting: scanning… 0 objects found so far');
    expect(line).not.toContain('0/0');
    expect(line).not.toContain('#');
  });

  it('shows a bar against what is found so far, marked open, while the scan goes on', () => {
    const line = progressLine('encrypting', run(40, false, 10), 2.5, bar);
    expect(line).toContain('[###.......] 10/40+ objects | 2.5/s | encrypted 10 ·');
    expect(line).toContain('| scanning… 40 found so far');
  });

  it('shows a plain bar once the scan is complete', () => {
    const line = progressLine('encrypting', run(40, true, 40), 8, bar);
    expect(line).toContain('[##########] 40/40 objects | 8.0/s');
    expect(line).not.toContain('scanning');
  });

  it("counts a re-wrap run's moves as re-wrapped, not encrypted", () => {
    const line = progressLine('re-wrapping', { ...run(4, true, 3), mode: 'rewrap' }, 1, bar);
    expect(line).toBe(
      're-wrapping [########..] 3/4 objects | 1.0/s | re-wrapped 3 · compliant 0 · skipped 0 · failed 0',
    );
  });

  it('says so when a finished scan found nothing, instead of a full bar at 0/0', () => {
    const line = progressLine('re-wrapping', run(0, true), 0, bar);
    expect(line).toBe('re-wrapping: no objects found');
  });

  it('writes the scanning line, never "0/0 objects", through the real bar off a terminal', () => {
    let written = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    });
    const progress = createRunProgress('encrypting', stream);
    progress.update(run(0, false));
    progress.stop();
    expect(written).toContain('encrypting: scanning… 0 objects found so far');
    expect(written).not.toContain('0/0');
  });
});
