import { TlogError } from './errors.js';
import { EMPTY_TREE_HASH, hashChildren, splitPoint } from './merkle-hash.js';
import type { NodeReader } from './node-reader.js';

/**
 * Tree hashes and proofs of RFC 6962 section 2.1 (2.1.1 audit paths, 2.1.2 consistency proofs),
 * computed from complete-subtree hashes read through a NodeReader (tiles or memory).
 */

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** MTH(D[start:start+count]) for a range RFC 6962's recursion produces. */
async function rangeHash(reader: NodeReader, start: number, count: number): Promise<Uint8Array> {
  if (isPowerOfTwo(count) && start % count === 0) {
    return reader.nodeHash(Math.round(Math.log2(count)), start / count);
  }
  const k = splitPoint(count);
  return hashChildren(await rangeHash(reader, start, k), await rangeHash(reader, start + k, count - k));
}

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new TlogError(`bad ${what} ${size}`);
}

/** The root hash of the tree of the first `size` leaves. */
export async function treeHash(reader: NodeReader, size: number): Promise<Uint8Array> {
  checkSize(size, 'tree size');
  return size === 0 ? EMPTY_TREE_HASH : rangeHash(reader, 0, size);
}

/** PATH(m, D[n]): the audit path of leaf `index` in the tree of `size` leaves, leaf side first. */
export async function inclusionProof(reader: NodeReader, index: number, size: number): Promise<Uint8Array[]> {
  checkSize(size, 'tree size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new TlogError(`leaf index ${index} is not in a tree of size ${size}`);
  }
  const path: Uint8Array[] = [];
  // Walk down from the root; each level's sibling is prepended, so the list ends at the root's child.
  let start = 0;
  let count = size;
  let m = index;
  while (count > 1) {
    const k = splitPoint(count);
    if (m < k) {
      path.unshift(await rangeHash(reader, start + k, count - k));
      count = k;
    } else {
      path.unshift(await rangeHash(reader, start, k));
      start += k;
      count -= k;
      m -= k;
    }
  }
  return path;
}

/** PROOF(m, D[n]): that the tree of `oldSize` leaves is a prefix of the tree of `newSize`. */
export async function consistencyProof(
  reader: NodeReader,
  oldSize: number,
  newSize: number,
): Promise<Uint8Array[]> {
  checkSize(oldSize, 'old tree size');
  checkSize(newSize, 'new tree size');
  if (oldSize > newSize) {
    throw new TlogError(`a tree of size ${oldSize} cannot be a prefix of one of size ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[start:start+count], whole) unrolled; hashes are prepended as the recursion unwinds.
  let start = 0;
  let count = newSize;
  let m = oldSize;
  let whole = true;
  while (m !== count) {
    const k = splitPoint(count);
    if (m <= k) {
      proof.unshift(await rangeHash(reader, start + k, count - k));
      count = k;
    } else {
      proof.unshift(await rangeHash(reader, start, k));
      start += k;
      count -= k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) proof.unshift(await rangeHash(reader, start, count));
  return proof;
}
