/**
 * Where a log's tiles, entry bundles and checkpoint live, by path relative to the log's prefix.
 * The S3 implementation (to come, docs/design/transparency-log.md) writes tiles with
 * `If-None-Match: *` and the checkpoint conditional on the ETag it read.
 */
export interface TileStore {
  /** The object's bytes, or undefined when there is none. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` at `path`. */
  write(path: string, bytes: Uint8Array): Promise<void>;
  /**
   * When the object at `path` was written (S3's LastModified), undefined when there is none.
   * Optional: only a leaf search uses it, to skip the tiles written before its leaf could be.
   */
  writtenAt?(path: string): Promise<Date | undefined>;
}

/** A TileStore in memory, for tests and for staging a batch of writes. */
export class MemoryTileStore implements TileStore {
  readonly objects = new Map<string, Uint8Array>();

  async read(path: string): Promise<Uint8Array | undefined> {
    return this.objects.get(path);
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    this.objects.set(path, Uint8Array.from(bytes));
  }
}
