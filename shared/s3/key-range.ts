/**
 * Ranges of the key space under a prefix, in the order S3 lists keys: UTF-8 binary order (S3 API,
 * ListObjectsV2: "results are always returned in UTF-8 binary order"). That is code point order,
 * not JavaScript's `<`, which compares UTF-16 units and puts U+10000 before U+FFFF.
 */

/** Keys k with `after` < k ≤ `until` (either bound absent: open on that side). */
export interface KeyRange {
  after?: string;
  until?: string;
}

/** Orders two keys as S3 lists them (UTF-8 bytes). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Whether `key` lies in `range`. */
export function inRange(key: string, range: KeyRange): boolean {
  if (range.after !== undefined && compareKeys(key, range.after) <= 0) return false;
  return range.until === undefined || compareKeys(key, range.until) <= 0;
}

/**
 * Whether some key lies in (`startAfter`, the range's `until`]: one `ListObjectsV2` with
 * `StartAfter` and `MaxKeys=1`, whose first key (if any) is compared with the bound.
 */
export type KeysAfter = (startAfter: string) => Promise<boolean>;

const MAX_CODE_POINT = 0x10ffff;
const LAST_ASCII = 0x7e;

/** The nearest Unicode scalar value at or above `cp` (a UTF-16 surrogate is no character). */
function scalarAtOrAbove(cp: number): number {
  return cp >= 0xd800 && cp <= 0xdfff ? 0xe000 : cp;
}

const text = (cps: number[]) => String.fromCodePoint(...cps);

/**
 * Finds where to split the rest of a chain's range, (`last`, until], in two non-empty-looking
 * halves, with a few `keysAfter` probes and no listing of the keys in between (docs/large-buckets.md,
 * "Listing chains"). Keys form a tree by their characters; the split is made at the shallowest
 * level of that tree where keys exist beyond the subtree `last` sits in, halfway across the
 * characters found at that level. Returns undefined when no key lies beyond `last`'s own
 * subtree. The point returned is strictly above `last`, and some key lies above it in range.
 *
 * Both searches are binary searches over monotone questions ("is there a key after X?" is true
 * for every X below one that answers true), so a split costs about log2(key length) +
 * log2(alphabet) sequential probes. The quality of the split depends on the keys; its correctness
 * does not: the two halves meet exactly at the point returned.
 */
export async function findSplitPoint(
  keysAfter: KeysAfter,
  last: string,
  prefix: string,
): Promise<string | undefined> {
  const cps = Array.from(last, (c) => c.codePointAt(0)!);
  const top = Array.from(prefix).length;
  // The first key after everything that shares last's first `depth` characters.
  const sibling = (depth: number): number[] | undefined => {
    const next = scalarAtOrAbove((depth < cps.length ? cps[depth]! : -1) + 1);
    return next > MAX_CODE_POINT ? undefined : [...cps.slice(0, depth), next];
  };
  const beyond = async (depth: number) => {
    const point = sibling(depth);
    return point !== undefined && (await keysAfter(text(point)));
  };

  if (!(await beyond(cps.length))) return undefined;
  // Shallowest depth with keys beyond last's subtree: deeper siblings are smaller keys, so the
  // answer is monotone in depth.
  let lo = top;
  let hi = cps.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await beyond(mid)) hi = mid;
    else lo = mid + 1;
  }
  const depth = lo;
  const base = cps.slice(0, depth);
  const low = sibling(depth)![depth]!;
  // Highest character at that depth with keys at or after it: ASCII first (most keys), then the rest.
  const keysFrom = (cp: number) => keysAfter(text([...base, scalarAtOrAbove(cp)]));
  let from = low;
  let to = LAST_ASCII;
  if (low >= LAST_ASCII || (await keysFrom(LAST_ASCII))) {
    from = Math.max(low, LAST_ASCII);
    to = MAX_CODE_POINT;
  }
  while (from < to) {
    const mid = Math.ceil((from + to) / 2);
    if (await keysFrom(mid)) from = mid;
    else to = mid - 1;
  }
  return text([...base, scalarAtOrAbove(Math.floor((low + from) / 2))]);
}
