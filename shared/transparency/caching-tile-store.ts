import type { TileStore } from '../tlog/tile-store.js';

/** Tiles a process keeps: the right edge of each level is all an append reads. */
const MAX_CACHED_TILES = 128;

/**
 * A tile store that remembers what it read and wrote (docs/architecture.md, "Transparency log"). A
 * tile path names fixed bytes once its leaves are assigned, so a remembered tile never goes stale:
 * a sequencer that appends again in the same process reads only the checkpoint from S3.
 */
export class CachingTileStore implements TileStore {
  private readonly tiles = new Map<string, Uint8Array>();

  constructor(private readonly store: TileStore) {}

  async read(path: string): Promise<Uint8Array | undefined> {
    const cached = this.tiles.get(path);
    if (cached) return cached;
    const bytes = await this.store.read(path);
    // A missing tile is not remembered: it appears once an append writes it.
    if (bytes) this.remember(path, bytes);
    return bytes;
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    await this.store.write(path, bytes);
    this.remember(path, bytes);
  }

  private remember(path: string, bytes: Uint8Array): void {
    if (this.tiles.size >= MAX_CACHED_TILES) this.tiles.clear();
    this.tiles.set(path, bytes);
  }
}
