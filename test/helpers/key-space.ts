import { compareKeys } from '../../shared/s3/key-range.js';

/**
 * An in-memory bucket's key space that lists as S3 does (UTF-8 binary order, `StartAfter`,
 * `MaxKeys`), for unit tests of key ranges and listing chains.
 */
export function keySpace(keys: string[], prefix = '') {
  const sorted = [...new Set(keys)].filter((k) => k.startsWith(prefix)).sort(compareKeys);
  let lists = 0;
  return {
    sorted,
    get lists() {
      return lists;
    },
    /** One ListObjectsV2 page: keys after `startAfter`, at most `maxKeys`, and whether more follow. */
    list(startAfter: string | undefined, maxKeys: number): { keys: string[]; truncated: boolean } {
      lists += 1;
      // Binary search for the first key after startAfter.
      let lo = 0;
      let hi = sorted.length;
      while (startAfter !== undefined && lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareKeys(sorted[mid]!, startAfter) > 0) hi = mid;
        else lo = mid + 1;
      }
      return { keys: sorted.slice(lo, lo + maxKeys), truncated: sorted.length - lo > maxKeys };
    },
  };
}

/** Keys a real bucket holds: assorted prefixes and depths, plus keys that break naive code. */
export const ODD_KEYS = [
  'a\rb',
  'a\nb',
  'a\r\nb',
  'trailing space ',
  'trailing space  ',
  'plus+sign',
  'percent%2B',
  'unicodé/naïve',
  'max\uFFFF',
  'max\uFFFF\uFFFF/x',
  'astral\u{10000}',
  'astral\u{1F600}/smile',
  'bmp-high\uFFFD',
  '~tilde',
  '\u007f-del',
];
