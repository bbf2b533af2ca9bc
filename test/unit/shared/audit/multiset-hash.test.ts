import { createHash, getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  addToMultiset,
  combineMultisets,
  EMPTY_MULTISET,
  elementOf,
  MultisetAccumulator,
  multisetDigest,
} from '../../../../shared/audit/multiset-hash.js';

const hashes = Array.from({ length: 12 }, (_, i) => createHash('sha256').update(`record ${i}`).digest('hex'));

describe('MuHASH multiset hash', () => {
  it('does not depend on the order elements are added in', () => {
    const forward = addToMultiset(EMPTY_MULTISET, ...hashes);
    const backward = addToMultiset(EMPTY_MULTISET, ...[...hashes].reverse());
    const oneByOne = hashes.reduce((value, h) => addToMultiset(value, h), EMPTY_MULTISET);
    expect(backward).toBe(forward);
    expect(oneByOne).toBe(forward);
  });

  it('has multiset semantics: multiplicity counts, and a missing or extra element changes it', () => {
    const once = addToMultiset(EMPTY_MULTISET, 'a', 'b');
    expect(addToMultiset(EMPTY_MULTISET, 'a', 'a', 'b')).not.toBe(once);
    expect(addToMultiset(EMPTY_MULTISET, 'a')).not.toBe(once);
    expect(addToMultiset(EMPTY_MULTISET, 'a', 'b', 'c')).not.toBe(once);
    // Unlike XOR, an element added twice does not cancel out.
    expect(addToMultiset(EMPTY_MULTISET, 'a', 'a')).not.toBe(EMPTY_MULTISET);
  });

  it('combines shards into the hash of their union, however the elements were spread', () => {
    const whole = addToMultiset(EMPTY_MULTISET, ...hashes);
    const shards = [hashes.slice(0, 3), hashes.slice(3, 4), [], hashes.slice(4)].map((part) =>
      addToMultiset(EMPTY_MULTISET, ...part),
    );
    expect(combineMultisets(shards)).toBe(whole);
    const accumulator = new MultisetAccumulator();
    for (const h of [...hashes].reverse()) accumulator.add(h);
    expect(accumulator.value).toBe(whole);
    expect(multisetDigest(combineMultisets(shards))).toBe(multisetDigest(whole));
  });

  it('is the product of the elements images modulo the RFC 3526 2048-bit prime (known answer)', () => {
    const p = BigInt(`0x${getDiffieHellman('modp14').getPrime('hex')}`);
    // Group 14's prime begins FFFFFFFF FFFFFFFF C90FDAA2 2168C234 (RFC 3526, section 3).
    expect(p.toString(16).slice(0, 32)).toBe('ffffffffffffffffc90fdaa22168c234');
    const image = (element: string) =>
      BigInt(
        `0x${createHash('shake256', { outputLength: 272 }).update('s3-seal/run-digest/v1\u0000').update(element).digest('hex')}`,
      ) % p;
    expect(elementOf('a')).toBe(image('a'));
    const expected = (image('a') * image('b')) % p;
    expect(BigInt(`0x${addToMultiset(EMPTY_MULTISET, 'a', 'b')}`)).toBe(expected);
    expect(EMPTY_MULTISET).toBe(`${'0'.repeat(511)}1`);
    expect(multisetDigest(EMPTY_MULTISET)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a stored value outside the group', () => {
    expect(() => addToMultiset('00', 'a')).toThrow(/not a multiset hash value/);
    expect(() => combineMultisets(['0'.repeat(512)])).toThrow(/outside the group/);
  });
});
