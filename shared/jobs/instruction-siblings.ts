import { INSTRUCTION_FILE_SUFFIX } from '../compliance.js';

/**
 * What one listing page proves about S3EC instruction files (docs/architecture.md, "Compliance"):
 * for each listed key K, whether `K.instruction` exists (true), provably does not (false: the page
 * lists a key after it in S3's byte order, or the listing ends with this page), or is not known
 * (absent from the map: K is the page's last key and more pages follow). Envelope mode skips an
 * object with an instruction file; with this, it needs no HEAD of the sibling to know.
 */
export function instructionSiblings(keys: string[], listingEnds: boolean): Map<string, boolean> {
  const listed = new Set(keys);
  const last = keys.reduce<Buffer | undefined>((max, key) => {
    const bytes = Buffer.from(key);
    return max === undefined || Buffer.compare(bytes, max) > 0 ? bytes : max;
  }, undefined);
  const known = new Map<string, boolean>();
  for (const key of keys) {
    const sibling = `${key}${INSTRUCTION_FILE_SUFFIX}`;
    if (listed.has(sibling)) known.set(key, true);
    else if (listingEnds || (last && Buffer.compare(last, Buffer.from(sibling)) > 0)) known.set(key, false);
  }
  return known;
}
