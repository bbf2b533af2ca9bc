import { describe, expect, it } from 'vitest';
import { TlogVerificationError } from '../../../../shared/tlog/errors.js';
import { hashLeaf } from '../../../../shared/tlog/merkle-hash.js';
import { consistencyProof, inclusionProof, treeHash } from '../../../../shared/tlog/merkle-proof.js';
import { verifyConsistency, verifyInclusion } from '../../../../shared/tlog/merkle-verify.js';
import { LeafListNodeReader } from '../../../../shared/tlog/node-reader.js';

// The RFC 6962 test tree used by Certificate Transparency and transparency-dev/merkle: eight leaves,
// their complete-subtree hashes by level, and the root of every prefix of the tree.
const leaves = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => Buffer.from(hex, 'hex'));
const node = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];
const roots = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const hex = (hashes: Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('hex'));
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const reader = new LeafListNodeReader(leaves.map(hashLeaf));

describe('RFC 6962 Merkle tree', () => {
  it('hashes leaves with a 0x00 prefix', () => {
    expect(hex(leaves.map(hashLeaf))).toEqual(node[0]);
  });

  it('computes the root of every prefix of the test tree, the empty tree included', async () => {
    for (let size = 0; size <= 8; size++) {
      expect(Buffer.from(await treeHash(reader, size)).toString('hex')).toBe(roots[size]);
    }
  });

  it('produces the audit paths of RFC 6962 section 2.1.3', async () => {
    expect(hex(await inclusionProof(reader, 0, 8))).toEqual([node[0]![1], node[1]![1], node[2]![1]]);
    expect(hex(await inclusionProof(reader, 5, 8))).toEqual([node[0]![4], node[1]![3], node[2]![0]]);
    expect(hex(await inclusionProof(reader, 2, 3))).toEqual([node[1]![0]]);
    expect(hex(await inclusionProof(reader, 1, 5))).toEqual([node[0]![0], node[1]![1], node[0]![4]]);
    expect(await inclusionProof(reader, 0, 1)).toEqual([]);
  });

  it('produces the consistency proofs of RFC 6962 section 2.1.4', async () => {
    // The examples of RFC 6962 2.1.3 on its tree of 7 leaves d0..d6: l = MTH(D[4:7]).
    const l = Buffer.from(await treeHashRange(4, 7)).toString('hex');
    expect(hex(await consistencyProof(reader, 3, 7))).toEqual([node[0]![2], node[0]![3], node[1]![0], l]);
    expect(hex(await consistencyProof(reader, 4, 7))).toEqual([l]);
    expect(hex(await consistencyProof(reader, 6, 7))).toEqual([node[1]![2], node[0]![6], node[2]![0]]);
    expect(hex(await consistencyProof(reader, 6, 8))).toEqual([node[1]![2], node[1]![3], node[2]![0]]);
    expect(hex(await consistencyProof(reader, 2, 5))).toEqual([node[1]![1], node[0]![4]]);
    expect(await consistencyProof(reader, 8, 8)).toEqual([]);
  });

  it('verifies every inclusion and consistency proof of the test tree', async () => {
    for (let size = 1; size <= 8; size++) {
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(reader, index, size);
        verifyInclusion(hashLeaf(leaves[index]!), index, size, proof, bytes(roots[size]!));
      }
      for (let old = 0; old <= size; old++) {
        const proof = await consistencyProof(reader, old, size);
        verifyConsistency(old, size, bytes(roots[old]!), bytes(roots[size]!), proof);
      }
    }
  });

  it('rejects an altered leaf, index, path or root', async () => {
    const proof = await inclusionProof(reader, 3, 7);
    const leaf = hashLeaf(leaves[3]!);
    const root = bytes(roots[7]!);
    expect(() => verifyInclusion(hashLeaf(leaves[4]!), 3, 7, proof, root)).toThrow(TlogVerificationError);
    expect(() => verifyInclusion(leaf, 2, 7, proof, root)).toThrow(TlogVerificationError);
    expect(() => verifyInclusion(leaf, 3, 8, proof, bytes(roots[8]!))).toThrow(TlogVerificationError);
    expect(() => verifyInclusion(leaf, 3, 7, proof.slice(1), root)).toThrow(TlogVerificationError);
    expect(() => verifyInclusion(leaf, 3, 7, [...proof, root], root)).toThrow(TlogVerificationError);
    expect(() => verifyInclusion(leaf, 7, 7, proof, root)).toThrow(TlogVerificationError);
  });

  it('catches rewritten or truncated history in a consistency check', async () => {
    const proof = await consistencyProof(reader, 3, 7);
    verifyConsistency(3, 7, bytes(roots[3]!), bytes(roots[7]!), proof);
    // An "old" checkpoint whose root is not a prefix of the new tree: history was rewritten.
    expect(() => verifyConsistency(3, 7, bytes(roots[4]!), bytes(roots[7]!), proof)).toThrow(
      TlogVerificationError,
    );
    expect(() => verifyConsistency(3, 7, bytes(roots[3]!), bytes(roots[8]!), proof)).toThrow(
      TlogVerificationError,
    );
    expect(() => verifyConsistency(3, 7, bytes(roots[3]!), bytes(roots[7]!), proof.slice(1))).toThrow(
      TlogVerificationError,
    );
    // A log that shrank cannot be consistent with a larger checkpoint.
    expect(() => verifyConsistency(7, 3, bytes(roots[7]!), bytes(roots[3]!), [])).toThrow(
      TlogVerificationError,
    );
    expect(() => verifyConsistency(5, 5, bytes(roots[5]!), bytes(roots[6]!), [])).toThrow(
      TlogVerificationError,
    );
  });
});

async function treeHashRange(start: number, end: number): Promise<Uint8Array> {
  return treeHash(new LeafListNodeReader(leaves.slice(start, end).map(hashLeaf)), end - start);
}
