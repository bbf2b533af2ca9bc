import { TlogVerificationError } from './errors.js';
import { EMPTY_TREE_HASH, equalHashes, hashChildren } from './merkle-hash.js';

/**
 * Proof verification of RFC 9162 sections 2.1.3.2 and 2.1.4.2 (the same proofs as RFC 6962).
 * Sizes stay within JavaScript's safe integers, so halving is done with division, not `>>`.
 */

const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/** The root hash an inclusion proof yields for `leafHash` at `index` in a tree of `size`. */
export function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  if (!(index >= 0 && index < size)) {
    throw new TlogVerificationError(`leaf index ${index} is not in a tree of size ${size}`);
  }
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new TlogVerificationError('inclusion proof is too long');
    if (odd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new TlogVerificationError('inclusion proof is too short');
  return r;
}

/** Throws TlogVerificationError unless `proof` proves `leafHash` at `index` under `root`. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  if (!equalHashes(rootFromInclusionProof(leafHash, index, size, proof), root)) {
    throw new TlogVerificationError(
      `inclusion proof of leaf ${index} does not lead to the root of the tree of size ${size}`,
    );
  }
}

/**
 * Throws TlogVerificationError unless `proof` shows the tree (`oldSize`, `oldRoot`) is a prefix of
 * (`newSize`, `newRoot`): the log only grew, nothing before `oldSize` was rewritten.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  const fail = (why: string) =>
    new TlogVerificationError(`consistency proof from size ${oldSize} to ${newSize}: ${why}`);
  if (!(oldSize >= 0 && oldSize <= newSize)) throw fail('the old tree is larger than the new one');
  if (oldSize === 0) {
    if (proof.length > 0) throw fail('a proof from the empty tree must be empty');
    if (!equalHashes(oldRoot, EMPTY_TREE_HASH)) throw fail('the empty tree has another root');
    return;
  }
  if (oldSize === newSize) {
    if (proof.length > 0) throw fail('a proof between equal sizes must be empty');
    if (!equalHashes(oldRoot, newRoot)) throw fail('two different roots for the same size');
    return;
  }
  if (proof.length === 0) throw fail('the proof is empty');
  const path = Number.isInteger(Math.log2(oldSize)) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) throw fail('the proof is too long');
    if (odd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw fail('the proof is too short');
  if (!equalHashes(fr, oldRoot)) throw fail('it does not lead to the old root');
  if (!equalHashes(sr, newRoot)) throw fail('it does not lead to the new root');
}
