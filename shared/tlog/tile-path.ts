import { TlogFormatError } from './errors.js';

/**
 * Tile geometry and paths of C2SP tlog-tiles: tiles of height 8 (256 hashes a full tile), paths
 * `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`, `<N>` in zero-padded 3-digit groups
 * where all but the last begin with `x` (1234067 → `x001/x234/067`).
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** The spec allows tile levels 0 to 63. */
export const MAX_TILE_LEVEL = 63;

/** `<N>` of a tile path: 1234067 → `x001/x234/067`, 5 → `005`. */
export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new TlogFormatError(`bad tile index ${n}`);
  const groups: string[] = [];
  let rest = n;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

function widthSuffix(width: number): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new TlogFormatError(`bad tile width ${width}`);
  }
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/** The path of the Merkle tile at `level`, index `n`, holding `width` hashes (256: full). */
export function tilePath(level: number, n: number, width: number = TILE_WIDTH): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) {
    throw new TlogFormatError(`bad tile level ${level}`);
  }
  return `tile/${level}/${encodeTileIndex(n)}${widthSuffix(width)}`;
}

/** The path of entry bundle `n` holding `width` entries (256: full). */
export function entryBundlePath(n: number, width: number = TILE_WIDTH): string {
  return `tile/entries/${encodeTileIndex(n)}${widthSuffix(width)}`;
}

/**
 * How many hashes tile `n` at tile level `level` holds in a tree of `treeSize` leaves: 256 for a
 * full tile, 1..255 for the partial right edge, 0 when the tile does not exist (never served).
 */
export function tileWidth(treeSize: number, level: number, n: number): number {
  const hashesAtLevel = Math.floor(treeSize / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, hashesAtLevel - n * TILE_WIDTH));
}
