/** Orders keys as S3 lists them: UTF-8 binary order (not JavaScript's UTF-16 `<`). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export const sortedKeys = (keys: string[]) => [...keys].sort(compareKeys);

/**
 * An in-memory bucket that lists as ListObjectsV2 does (UTF-8 order, Prefix, Delimiter, MaxKeys
 * counting keys and common prefixes together, continuation tokens), for unit tests of listing chains.
 */
export function keySpace(keys: string[]) {
  const sorted = sortedKeys([...new Set(keys)]);
  let lists = 0;
  return {
    sorted,
    get lists() {
      return lists;
    },
    list(request: { prefix: string; delimiter?: string; maxKeys: number; continuationToken?: string }) {
      lists += 1;
      const entries: Array<{ key?: string; commonPrefix?: string }> = [];
      for (const key of sorted) {
        if (!key.startsWith(request.prefix)) continue;
        const cut = request.delimiter ? key.indexOf(request.delimiter, request.prefix.length) : -1;
        if (cut < 0) {
          entries.push({ key });
          continue;
        }
        const commonPrefix = key.slice(0, cut + request.delimiter!.length);
        if (entries.at(-1)?.commonPrefix !== commonPrefix) entries.push({ commonPrefix });
      }
      const start = Number(request.continuationToken ?? 0);
      const page = entries.slice(start, start + request.maxKeys);
      const next = start + request.maxKeys;
      return {
        objects: page.filter((e) => e.key !== undefined).map((e) => ({ key: e.key! })),
        commonPrefixes: page.filter((e) => e.commonPrefix !== undefined).map((e) => e.commonPrefix!),
        nextContinuationToken: next < entries.length ? String(next) : undefined,
      };
    },
  };
}

/** Keys a real bucket holds: assorted prefixes and depths, plus keys that break naive code. */
export const ODD_KEYS = [
  'a\rb',
  'a\nb',
  'a\r\nb/c',
  'trailing space ',
  'trailing space  /x',
  'plus+sign',
  'percent%2B',
  'unicodé/naïve',
  'max\uFFFF',
  'max\uFFFF\uFFFF/x',
  'astral\u{10000}',
  'astral\u{1F600}/smile',
  'bmp-high\uFFFD',
  '~tilde',
  'double//slash',
  '/leading',
  'dir/',
];

/** Several hundred keys under assorted prefixes and depths, with some trailing spaces, and the odd keys. */
export function assortedKeys(n: number): string[] {
  const keys: string[] = [...ODD_KEYS];
  const tops = ['alpha/', 'beta/deep/er/', 'logs/2024/0', 'z/', '', 'Ünï/', 'gamma/'];
  for (let i = 0; i < n; i++) {
    const top = tops[i % tops.length];
    keys.push(`${top}${String((i * 7919) % n).padStart(5, '0')}${i % 11 === 0 ? ' ' : ''}`);
  }
  return keys;
}
