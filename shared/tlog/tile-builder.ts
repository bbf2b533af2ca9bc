import { decodeEntryBundle, encodeEntryBundle } from './entry-bundle.js';
import { TileMissingError, TlogError, TlogVerificationError } from './errors.js';
import { equalHashes, hashLeaf, hashOfHashes } from './merkle-hash.js';
import { treeHash } from './merkle-proof.js';
import { splitTile, TileNodeReader } from './tile-node-reader.js';
import { entryBundlePath, TILE_WIDTH, tilePath, tileWidth } from './tile-path.js';
import type { TileStore } from './tile-store.js';

/** One object a log append writes: a Merkle tile or an entry bundle, full or partial. */
export interface TileWrite {
  path: string;
  bytes: Uint8Array;
}

/** What appending leaves produces: the objects to write (before the checkpoint) and the new tree. */
export interface TileBuild {
  oldSize: number;
  size: number;
  rootHash: Uint8Array;
  writes: TileWrite[];
}

/** Reads the store, seeing `pending` writes first: the tree as it will be once they are written. */
class PendingTileStore implements TileStore {
  constructor(
    private readonly base: TileStore,
    private readonly pending: Map<string, Uint8Array>,
  ) {}
  async read(path: string): Promise<Uint8Array | undefined> {
    return this.pending.get(path) ?? this.base.read(path);
  }
  async write(): Promise<void> {
    throw new TlogError('a pending view of the log is read-only');
  }
}

async function readRequired(store: TileStore, path: string): Promise<Uint8Array> {
  const bytes = await store.read(path);
  if (!bytes) throw new TileMissingError(path);
  return bytes;
}

/**
 * Appends `entries` to the log whose current (verified) checkpoint has `oldSize` leaves and, when
 * given, root `oldRoot`: returns every tile and entry bundle to write, full or partial, and the
 * new root. Nothing is written here: the caller writes the tiles, then the signed checkpoint, so a
 * crash in between leaves only unreferenced tiles for the same leaves (tlog-tiles, "Partial Tiles").
 * Only the right edge of each tile level is read, never the whole tree.
 */
export async function buildTiles(
  store: TileStore,
  oldSize: number,
  entries: readonly Uint8Array[],
  oldRoot?: Uint8Array,
): Promise<TileBuild> {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) throw new TlogError(`bad tree size ${oldSize}`);
  if (oldRoot && !equalHashes(await treeHash(new TileNodeReader(store, oldSize), oldSize), oldRoot)) {
    throw new TlogVerificationError(`the stored tiles do not hash to the root of the tree of ${oldSize}`);
  }
  const size = oldSize + entries.length;
  const pending = new Map<string, Uint8Array>();

  // Entry bundles follow the level-0 tiles: bundle n holds the entries of leaves n·256 .. n·256+255.
  for (let n = Math.floor(oldSize / TILE_WIDTH); n * TILE_WIDTH < size; n++) {
    const oldWidth = tileWidth(oldSize, 0, n);
    const kept = oldWidth ? decodeEntryBundle(await readRequired(store, entryBundlePath(n, oldWidth))) : [];
    if (kept.length !== oldWidth) {
      throw new TlogVerificationError(
        `entry bundle ${entryBundlePath(n, oldWidth)} holds ${kept.length} entries`,
      );
    }
    const added = entries.slice(Math.max(0, n * TILE_WIDTH - oldSize), (n + 1) * TILE_WIDTH - oldSize);
    pending.set(entryBundlePath(n, oldWidth + added.length), encodeEntryBundle([...kept, ...added]));
  }

  // At tile level L the tree has floor(size / 256^L) hashes; the new ones start at index `start`.
  let fresh = entries.map(hashLeaf);
  let start = oldSize;
  for (let level = 0; fresh.length > 0; level++) {
    const completed: Uint8Array[] = [];
    const end = start + fresh.length;
    for (let n = Math.floor(start / TILE_WIDTH); n * TILE_WIDTH < end; n++) {
      const oldWidth = tileWidth(oldSize, level, n);
      const oldPath = tilePath(level, n, oldWidth || TILE_WIDTH);
      const kept = oldWidth ? splitTile(oldPath, await readRequired(store, oldPath), oldWidth) : [];
      const added = fresh.slice(Math.max(0, n * TILE_WIDTH - start), (n + 1) * TILE_WIDTH - start);
      const hashes = [...kept, ...added];
      pending.set(tilePath(level, n, hashes.length), Buffer.concat(hashes));
      // A full tile's hash is one hash of the level above; a partial tile is never hashed upwards.
      if (hashes.length === TILE_WIDTH) completed.push(hashOfHashes(hashes));
    }
    fresh = completed;
    start = Math.floor(start / TILE_WIDTH);
  }

  const rootHash = await treeHash(new TileNodeReader(new PendingTileStore(store, pending), size), size);
  const writes = [...pending].map(([path, bytes]) => ({ path, bytes: new Uint8Array(bytes) }));
  return { oldSize, size, rootHash, writes };
}
