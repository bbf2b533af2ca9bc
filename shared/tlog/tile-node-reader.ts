import { TileMissingError, TlogError, TlogFormatError } from './errors.js';
import { HASH_SIZE, hashOfHashes } from './merkle-hash.js';
import type { NodeReader } from './node-reader.js';
import { TILE_HEIGHT, TILE_WIDTH, tilePath, tileWidth } from './tile-path.js';
import type { TileStore } from './tile-store.js';

/** Splits a tile's bytes into its hashes, checking it holds exactly `width` of them. */
export function splitTile(path: string, bytes: Uint8Array, width: number): Uint8Array[] {
  if (bytes.length !== width * HASH_SIZE) {
    throw new TlogFormatError(
      `tile ${path} holds ${bytes.length} bytes, expected ${width * HASH_SIZE} (${width} hashes)`,
    );
  }
  return Array.from({ length: width }, (_, i) => bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
}

/**
 * Reads node hashes of the tree of `treeSize` leaves from its tiles: the node at Merkle level
 * `8·L + h` is the hash of 2^h consecutive hashes of a tile at tile level L (tlog-tiles: "the
 * Merkle Tree levels between those expressed by the tile hashes are reconstructed by hashing").
 * Reads the full tile where one exists, else the partial tile the tree size calls for; caches tiles.
 * It trusts the tiles: authenticate the root it yields against a signed checkpoint.
 */
export class TileNodeReader implements NodeReader {
  private readonly tiles = new Map<string, Promise<Uint8Array[]>>();

  constructor(
    private readonly store: TileStore,
    readonly treeSize: number,
  ) {}

  /** The hashes of tile `n` at tile level `level` in this tree (full or partial). */
  readTile(level: number, n: number): Promise<Uint8Array[]> {
    const width = tileWidth(this.treeSize, level, n);
    if (width === 0) throw new TlogError(`tile ${level}/${n} is not part of a tree of ${this.treeSize}`);
    const path = tilePath(level, n, width);
    let tile = this.tiles.get(path);
    if (!tile) {
      tile = this.store.read(path).then((bytes) => {
        if (!bytes) throw new TileMissingError(path);
        return splitTile(path, bytes, width);
      });
      this.tiles.set(path, tile);
    }
    return tile;
  }

  async nodeHash(level: number, index: number): Promise<Uint8Array> {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const count = 2 ** (level - tileLevel * TILE_HEIGHT);
    const first = index * count;
    const n = Math.floor(first / TILE_WIDTH);
    const offset = first % TILE_WIDTH;
    const hashes = await this.readTile(tileLevel, n);
    if (offset + count > hashes.length) {
      throw new TlogError(`node ${level}/${index} is not complete in a tree of ${this.treeSize}`);
    }
    return hashOfHashes(hashes.slice(offset, offset + count));
  }
}
