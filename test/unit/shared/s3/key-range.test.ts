import { describe, expect, it } from 'vitest';
import { compareKeys, findSplitPoint, inRange } from '../../../../shared/s3/key-range.js';
import { keySpace, ODD_KEYS } from '../../../helpers/key-space.js';

const probeOf = (sorted: string[], until?: string) => async (startAfter: string) =>
  sorted.some((k) => compareKeys(k, startAfter) > 0 && (until === undefined || compareKeys(k, until) <= 0));

describe('compareKeys', () => {
  it('orders keys by UTF-8 bytes, as S3 lists them, not by UTF-16 units', () => {
    // '\u{10000}' < '\uFFFF' in JavaScript; in UTF-8 (and S3) U+FFFF comes first.
    expect('\u{10000}' < '\uFFFF').toBe(true);
    expect(compareKeys('\uFFFF', '\u{10000}')).toBeLessThan(0);
    expect(compareKeys('a', 'a ')).toBeLessThan(0);
    expect(compareKeys('a\r', 'a\n')).toBeGreaterThan(0);
    expect(compareKeys('same', 'same')).toBe(0);
  });

  it('inRange excludes after and includes until', () => {
    expect(inRange('b', { after: 'a', until: 'b' })).toBe(true);
    expect(inRange('a', { after: 'a', until: 'b' })).toBe(false);
    expect(inRange('b ', { after: 'a', until: 'b' })).toBe(false);
    expect(inRange('zzz', {})).toBe(true);
  });
});

describe('findSplitPoint', () => {
  it('splits uniform hex keys near the middle of what is left', async () => {
    const keys = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));
    const last = '0ff';
    const point = await findSplitPoint(probeOf(keys), last, '');
    expect(point).toBeDefined();
    const above = keys.filter((k) => compareKeys(k, point!) > 0).length;
    const between = keys.filter((k) => compareKeys(k, last) > 0 && compareKeys(k, point!) <= 0).length;
    expect(above).toBeGreaterThan(0);
    expect(between).toBeGreaterThan(0);
    // Both halves hold at least a quarter of the rest.
    expect(Math.min(above, between) / (above + between)).toBeGreaterThan(0.25);
  });

  it('descends under a prefix every key shares (logs/YYYY-MM-DD/...)', async () => {
    const keys: string[] = [];
    for (let m = 1; m <= 12; m++)
      for (let d = 1; d <= 28; d++)
        keys.push(`logs/2024-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}/x`);
    const point = await findSplitPoint(probeOf(keys), 'logs/2024-01-05/x', 'logs/');
    expect(point!.startsWith('logs/2024-')).toBe(true);
    const above = keys.filter((k) => compareKeys(k, point!) > 0).length;
    expect(above).toBeGreaterThan(0);
    expect(above).toBeLessThan(keys.length - 5);
  });

  it('returns a point strictly after the last key with a key above it in range, for odd keys too', async () => {
    const keys = keySpace([...ODD_KEYS, ...Array.from({ length: 50 }, (_, i) => `k${i}`)]).sorted;
    for (let i = 0; i < keys.length - 1; i++) {
      for (const until of [undefined, keys.at(-1), keys[Math.min(keys.length - 1, i + 3)]]) {
        const point = await findSplitPoint(probeOf(keys, until), keys[i]!, '');
        const rest = keys.filter(
          (k) => compareKeys(k, keys[i]!) > 0 && (!until || compareKeys(k, until) <= 0),
        );
        if (point === undefined) {
          // No split only when nothing lies beyond the last key's own subtree (a key it prefixes).
          expect(rest.every((k) => k.startsWith(keys[i]!))).toBe(true);
          continue;
        }
        expect(compareKeys(point, keys[i]!)).toBeGreaterThan(0);
        expect(rest.some((k) => compareKeys(k, point) > 0)).toBe(true);
        // A lone surrogate would not survive UTF-8: the point must be real characters.
        expect(point).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }
    }
  });

  it('finds nothing to split when no key follows', async () => {
    expect(await findSplitPoint(probeOf(['a', 'b']), 'b', '')).toBeUndefined();
  });
});
