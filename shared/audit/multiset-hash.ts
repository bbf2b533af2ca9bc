import { createHash, getDiffieHellman } from 'node:crypto';

/**
 * MuHASH (Bellare & Micciancio, "A New Paradigm for Collision-free Hashing: Incrementality at
 * Reduced Cost", EUROCRYPT 1997) over the multiplicative group of the 2048-bit MODP prime of
 * RFC 3526 (group 14, taken from Node's built-in table rather than typed in): a multiset of
 * elements hashes to the product of their images in the group. Adding an element is one modular
 * multiplication, in any order, so a run's digest grows with each audit append and combines across
 * shards; finding two multisets with one hash is as hard as discrete logarithms in the group
 * (docs/architecture.md, "Counting and closing runs"). XOR or sums of SHA-256 hashes would not do:
 * Wagner's generalized birthday attack finds collisions for them.
 */
export const MULTISET_HASH_ALGORITHM = 'muhash-modp2048-shake256';

const P = BigInt(`0x${getDiffieHellman('modp14').getPrime('hex')}`);
const BYTES = 256;
/** 128 bits beyond the modulus, so the reduction below is statistically uniform. */
const EXPAND_BYTES = BYTES + 16;
const DOMAIN = 's3-seal/run-digest/v1\u0000';

/** A multiset hash value: a group element, as a 512-digit hex string (what DynamoDB stores). */
export type MultisetValue = string;

export const EMPTY_MULTISET: MultisetValue = toHex(1n);

function toHex(n: bigint): string {
  return n.toString(16).padStart(BYTES * 2, '0');
}

function parse(value: MultisetValue): bigint {
  if (!/^[0-9a-f]{512}$/.test(value)) throw new Error('not a multiset hash value');
  const n = BigInt(`0x${value}`);
  if (n === 0n || n >= P) throw new Error('multiset hash value outside the group');
  return n;
}

/** An element's image in the group: SHAKE256 expanded past the modulus, reduced (0 maps to 1). */
export function elementOf(element: string): bigint {
  const expanded = createHash('shake256', { outputLength: EXPAND_BYTES })
    .update(DOMAIN)
    .update(element)
    .digest('hex');
  return BigInt(`0x${expanded}`) % P || 1n;
}

/** Adds elements to a multiset hash (each occurrence counts: {a, a} differs from {a}). */
export function addToMultiset(value: MultisetValue, ...elements: string[]): MultisetValue {
  let n = parse(value);
  for (const element of elements) n = (n * elementOf(element)) % P;
  return toHex(n);
}

/** The hash of the union of multisets (a run's digest from its shards' digests). */
export function combineMultisets(values: Iterable<MultisetValue>): MultisetValue {
  let n = 1n;
  for (const value of values) n = (n * parse(value)) % P;
  return toHex(n);
}

/** An accumulator for many elements at once (verification): no hex round trip per element. */
export class MultisetAccumulator {
  private n = 1n;
  add(element: string): void {
    this.n = (this.n * elementOf(element)) % P;
  }
  get value(): MultisetValue {
    return toHex(this.n);
  }
}

/** The short form a run is closed with: SHA-256 over the group element's 256 bytes. */
export function multisetDigest(value: MultisetValue): string {
  return createHash('sha256').update(Buffer.from(value, 'hex')).digest('hex');
}
