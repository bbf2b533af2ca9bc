import { TlogFormatError } from './errors.js';
import { TILE_WIDTH } from './tile-path.js';

/**
 * Entry bundles of tlog-tiles: a sequence of entries, each prefixed by its length as a big-endian
 * uint16, so an entry holds at most 65,535 bytes.
 */
export const MAX_ENTRY_SIZE = 0xffff;

/** Encodes entries into one bundle. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH) throw new TlogFormatError(`a bundle holds at most ${TILE_WIDTH} entries`);
  const total = entries.reduce((sum, entry) => sum + 2 + entry.length, 0);
  const bundle = new Uint8Array(total);
  let at = 0;
  for (const entry of entries) {
    if (entry.length > MAX_ENTRY_SIZE) {
      throw new TlogFormatError(`a log entry of ${entry.length} bytes exceeds ${MAX_ENTRY_SIZE}`);
    }
    bundle[at] = entry.length >> 8;
    bundle[at + 1] = entry.length & 0xff;
    bundle.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return bundle;
}

/** Decodes a bundle; throws TlogFormatError when a length runs past the end. */
export function decodeEntryBundle(bundle: Uint8Array, path = 'entry bundle'): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) throw new TlogFormatError(`${path}: truncated length prefix`);
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + length > bundle.length) throw new TlogFormatError(`${path}: truncated entry`);
    entries.push(bundle.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length > TILE_WIDTH) throw new TlogFormatError(`${path}: more than ${TILE_WIDTH} entries`);
  return entries;
}
