import { hashOfHashes } from './merkle-hash.js';

/**
 * Reads the hash of a complete subtree: the node at Merkle `level` (0 = leaves) and `index`,
 * covering leaves [index·2^level, (index+1)·2^level). Proofs and tree hashes are computed from
 * these alone, so the same code works over tiles in storage and over a list in memory.
 */
export interface NodeReader {
  nodeHash(level: number, index: number): Promise<Uint8Array>;
}

/** A NodeReader over the leaf hashes of a whole tree held in memory (tests, small trees). */
export class LeafListNodeReader implements NodeReader {
  constructor(private readonly leafHashes: readonly Uint8Array[]) {}

  async nodeHash(level: number, index: number): Promise<Uint8Array> {
    const width = 2 ** level;
    const start = index * width;
    if (start + width > this.leafHashes.length) {
      throw new RangeError(`node ${level}/${index} is outside a tree of ${this.leafHashes.length}`);
    }
    return hashOfHashes(this.leafHashes.slice(start, start + width));
  }
}
