import { decodeEntryBundle } from '../tlog/entry-bundle.js';
import { TlogError } from '../tlog/errors.js';
import { entryBundlePath, TILE_WIDTH, tileWidth } from '../tlog/tile-path.js';
import type { TileStore } from '../tlog/tile-store.js';

/** Bundles kept: 64 × 256 leaves of about 150 bytes is about 2.5 MiB, whatever the log's size. */
const CACHED_BUNDLES = 64;

/**
 * Reads leaves of the tree of `size` leaves by index, from its entry bundles (tlog-tiles), keeping
 * the last few bundles: chunks are read in run order, which is near the order the sequencer gave
 * them leaves, so most reads hit a bundle already read. Unauthenticated: the log's full check
 * (`verifyLog`) is what ties the bundles to the signed root; a bundle that is missing or does not
 * decode gives undefined here (that check names it).
 */
export class LeafReader {
  private readonly bundles = new Map<number, Promise<Uint8Array[] | undefined>>();

  constructor(
    private readonly store: TileStore,
    readonly size: number,
  ) {}

  async read(index: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) return undefined;
    const n = Math.floor(index / TILE_WIDTH);
    let bundle = this.bundles.get(n);
    if (bundle) this.bundles.delete(n);
    else bundle = this.load(n);
    this.bundles.set(n, bundle); // most recently used last
    if (this.bundles.size > CACHED_BUNDLES) this.bundles.delete(this.bundles.keys().next().value!);
    return (await bundle)?.[index % TILE_WIDTH];
  }

  private async load(n: number): Promise<Uint8Array[] | undefined> {
    const width = tileWidth(this.size, 0, n);
    const bytes = await this.store.read(entryBundlePath(n, width));
    if (!bytes) return undefined;
    try {
      const entries = decodeEntryBundle(bytes);
      return entries.length === width ? entries : undefined;
    } catch (error) {
      if (error instanceof TlogError) return undefined;
      throw error;
    }
  }
}

/** One bit per leaf: which leaves a committed chunk claimed (size / 8 bytes: 125 KB per million). */
export class LeafSet {
  private readonly bits: Uint8Array;

  constructor(readonly size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }

  add(index: number): void {
    this.bits[Math.floor(index / 8)]! |= 1 << (index % 8);
  }

  has(index: number): boolean {
    return (this.bits[Math.floor(index / 8)]! & (1 << (index % 8))) !== 0;
  }
}
