import type { Checkpoint } from './checkpoint.js';
import { decodeEntryBundle } from './entry-bundle.js';
import { TileMissingError, TlogVerificationError } from './errors.js';
import { equalHashes, hashLeaf, hashOfHashes } from './merkle-hash.js';
import { treeHash } from './merkle-proof.js';
import { splitTile, TileNodeReader } from './tile-node-reader.js';
import { entryBundlePath, TILE_WIDTH, tilePath, tileWidth } from './tile-path.js';
import type { TileStore } from './tile-store.js';

/** What a full check of a log read. */
export interface LogCheck {
  size: number;
  tiles: number;
  bundles: number;
}

async function readRequired(store: TileStore, path: string): Promise<Uint8Array> {
  const bytes = await store.read(path);
  if (!bytes) throw new TileMissingError(path);
  return bytes;
}

/**
 * Checks a whole log against a checkpoint the caller has already verified (openCheckpoint): every
 * entry bundle hashes to its level-0 tile, every full tile hashes to its hash one level up, and the
 * tiles hash to the checkpoint's root. What fsck does, in bounded memory: one tile and its parent
 * at a time. `onEntry` sees every entry in order (to check what the leaves point at).
 */
export async function verifyLog(
  store: TileStore,
  checkpoint: Pick<Checkpoint, 'size' | 'rootHash'>,
  onEntry?: (index: number, entry: Uint8Array) => void | Promise<void>,
): Promise<LogCheck> {
  const { size } = checkpoint;
  let tiles = 0;
  let bundles = 0;
  const readTile = async (level: number, n: number) => {
    const width = tileWidth(size, level, n);
    const path = tilePath(level, n, width);
    tiles++;
    return { path, hashes: splitTile(path, await readRequired(store, path), width) };
  };

  for (let n = 0; n * TILE_WIDTH < size; n++) {
    const width = tileWidth(size, 0, n);
    const path = entryBundlePath(n, width);
    const entries = decodeEntryBundle(await readRequired(store, path), path);
    bundles++;
    if (entries.length !== width) {
      throw new TlogVerificationError(`${path} holds ${entries.length} entries, the tree needs ${width}`);
    }
    const tile = await readTile(0, n);
    for (const [i, entry] of entries.entries()) {
      if (!equalHashes(hashLeaf(entry), tile.hashes[i]!)) {
        throw new TlogVerificationError(
          `entry ${n * TILE_WIDTH + i} (${path}) does not hash to its leaf in ${tile.path}`,
        );
      }
      await onEntry?.(n * TILE_WIDTH + i, entry);
    }
  }

  // A full tile at level L is one hash at level L+1 (tlog-tiles, "Merkle Tree").
  for (let level = 0; TILE_WIDTH ** (level + 1) <= size; level++) {
    let parent: { n: number; path: string; hashes: Uint8Array[] } | undefined;
    for (let n = 0; tileWidth(size, level, n) === TILE_WIDTH; n++) {
      const tile = await readTile(level, n);
      const parentN = Math.floor(n / TILE_WIDTH);
      if (parent?.n !== parentN) parent = { n: parentN, ...(await readTile(level + 1, parentN)) };
      if (!equalHashes(hashOfHashes(tile.hashes), parent.hashes[n % TILE_WIDTH]!)) {
        throw new TlogVerificationError(`${tile.path} does not hash to its entry in ${parent.path}`);
      }
    }
  }

  if (!equalHashes(await treeHash(new TileNodeReader(store, size), size), checkpoint.rootHash)) {
    throw new TlogVerificationError(`the tiles do not hash to the checkpoint's root for size ${size}`);
  }
  return { size, tiles, bundles };
}
