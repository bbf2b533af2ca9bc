import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TlogFormatError, TlogVerificationError } from '../../../../shared/tlog/errors.js';
import { hashLeaf } from '../../../../shared/tlog/merkle-hash.js';
import { inclusionProof } from '../../../../shared/tlog/merkle-proof.js';
import { LocalNoteSigner } from '../../../../shared/tlog/note-signer.js';
import { signCheckpoint } from '../../../../shared/tlog/signed-checkpoint.js';
import { buildTiles } from '../../../../shared/tlog/tile-builder.js';
import { TileNodeReader } from '../../../../shared/tlog/tile-node-reader.js';
import { MemoryTileStore } from '../../../../shared/tlog/tile-store.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../../../../shared/tlog/tlog-proof.js';
import { formatVerifierKey, parseVerifierKey } from '../../../../shared/tlog/verifier-key.js';

const origin = 'example.com/s3-seal/audit';
const signer = new LocalNoteSigner(origin, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const verifier = parseVerifierKey(formatVerifierKey(origin, signer.publicKeyDer));
const entries = Array.from({ length: 300 }, (_, i) => new TextEncoder().encode(`entry ${i}`));

async function proofOf(index: number, extra?: Uint8Array) {
  const store = new MemoryTileStore();
  const build = await buildTiles(store, 0, entries);
  for (const { path, bytes } of build.writes) await store.write(path, bytes);
  const checkpoint = await signCheckpoint({ origin, size: build.size, rootHash: build.rootHash }, [signer]);
  const proof = await inclusionProof(new TileNodeReader(store, build.size), index, build.size);
  return formatTlogProof({ index, proof, checkpoint, ...(extra ? { extra } : {}) });
}

describe('tlog-proof', () => {
  it('writes the c2sp.org/tlog-proof@v1 layout and verifies it offline', async () => {
    const text = await proofOf(257, Uint8Array.of(1, 2, 3));
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['c2sp.org/tlog-proof@v1', 'extra AQID', 'index 257']);
    // Leaf 257 of 300: its sibling, four more levels up its 32-leaf subtree, 256..299's 12, then 0..255.
    expect(lines.slice(3, 10).every((line) => /^[A-Za-z0-9+/]{43}=$/.test(line))).toBe(true);
    expect(lines.slice(10, 13)).toEqual(['', origin, '300']);
    const verified = verifyTlogProof(text, hashLeaf(entries[257]!), [verifier], origin);
    expect(verified).toMatchObject({ index: 257, extra: Uint8Array.of(1, 2, 3), tree: { size: 300 } });
    expect(parseTlogProof(await proofOf(0)).extra).toBeUndefined();
  });

  it('fails for another entry, an altered hash, another origin or a bad header', async () => {
    const text = await proofOf(5);
    expect(() => verifyTlogProof(text, hashLeaf(entries[6]!), [verifier], origin)).toThrow(
      TlogVerificationError,
    );
    const lines = text.split('\n');
    lines[2] = Buffer.alloc(32).toString('base64');
    expect(() => verifyTlogProof(lines.join('\n'), hashLeaf(entries[5]!), [verifier], origin)).toThrow(
      TlogVerificationError,
    );
    expect(() => verifyTlogProof(text, hashLeaf(entries[5]!), [verifier], 'other/log')).toThrow(
      TlogVerificationError,
    );
    expect(() => parseTlogProof(text.replace('@v1', '@v2'))).toThrow(TlogFormatError);
  });
});
