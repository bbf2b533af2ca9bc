import { createHash } from 'node:crypto';

/**
 * RFC 6962 section 2.1 Merkle hashing over SHA-256, the hashing of the C2SP tlog-tiles log: a
 * leaf is hashed with a 0x00 prefix and an interior node with 0x01, so no leaf can pass for a node.
 */
export const HASH_SIZE = 32;

/** MTH({}) = SHA-256 of the empty string: the root of an empty tree. */
export const EMPTY_TREE_HASH: Uint8Array = new Uint8Array(createHash('sha256').digest());

/** The leaf hash of one log entry: SHA-256(0x00 || entry). */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Uint8Array.of(0)).update(entry).digest());
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest());
}

/** The largest power of two strictly smaller than `n` (n ≥ 2): RFC 6962's split point `k`. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The Merkle Tree Hash of a list of leaf (or subtree) hashes, by RFC 6962's recursive rule. */
export function hashOfHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_TREE_HASH;
  if (hashes.length === 1) return hashes[0]!;
  const k = splitPoint(hashes.length);
  return hashChildren(hashOfHashes(hashes.slice(0, k)), hashOfHashes(hashes.slice(k)));
}

/** Byte equality of two hashes. */
export function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
