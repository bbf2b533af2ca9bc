import { describe, expect, it } from 'vitest';
import { decodeEntryBundle, encodeEntryBundle } from '../../../../shared/tlog/entry-bundle.js';
import { TileMissingError, TlogVerificationError } from '../../../../shared/tlog/errors.js';
import { hashLeaf } from '../../../../shared/tlog/merkle-hash.js';
import { consistencyProof, inclusionProof, treeHash } from '../../../../shared/tlog/merkle-proof.js';
import { LeafListNodeReader } from '../../../../shared/tlog/node-reader.js';
import { buildTiles } from '../../../../shared/tlog/tile-builder.js';
import { TileNodeReader } from '../../../../shared/tlog/tile-node-reader.js';
import { encodeTileIndex, entryBundlePath, tilePath } from '../../../../shared/tlog/tile-path.js';
import { MemoryTileStore } from '../../../../shared/tlog/tile-store.js';

const entry = (i: number) => new TextEncoder().encode(`chunk-log-${i}`);
const entries = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => entry(from + i));

async function append(store: MemoryTileStore, oldSize: number, count: number) {
  const build = await buildTiles(store, oldSize, entries(oldSize, oldSize + count));
  for (const { path, bytes } of build.writes) await store.write(path, bytes);
  return build;
}

describe('tile paths', () => {
  it('encodes tile indexes in x-prefixed 3-digit groups', () => {
    expect(encodeTileIndex(0)).toBe('000');
    expect(encodeTileIndex(5)).toBe('005');
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067');
    expect(encodeTileIndex(1000)).toBe('x001/000');
    expect(tilePath(0, 1234067)).toBe('tile/0/x001/x234/067');
    expect(tilePath(2, 3, 17)).toBe('tile/2/003.p/17');
    expect(entryBundlePath(1, 112)).toBe('tile/entries/001.p/112');
    expect(entryBundlePath(1)).toBe('tile/entries/001');
  });
});

describe('entry bundles', () => {
  it('prefixes each entry with its big-endian uint16 length', () => {
    const bundle = encodeEntryBundle([Uint8Array.of(7), new Uint8Array(0), new Uint8Array(300).fill(1)]);
    expect(Buffer.from(bundle.subarray(0, 5)).toString('hex')).toBe('0001070000');
    expect(Buffer.from(bundle.subarray(5, 7)).toString('hex')).toBe('012c');
    expect(bundle.length).toBe(3 + 2 + 302);
    expect(decodeEntryBundle(bundle).map((e) => e.length)).toEqual([1, 0, 300]);
    expect(() => decodeEntryBundle(bundle.subarray(0, 100))).toThrow(/truncated entry/);
  });
});

describe('tile builder', () => {
  it('writes the tiles tlog-tiles lists for a tree of 70,000 leaves', async () => {
    const store = new MemoryTileStore();
    const build = await append(store, 0, 70_000);
    const paths = build.writes.map((w) => w.path);
    // tlog-tiles, "Partial Tiles": 273 full level-0 tiles, a level-0 partial of width 112, one full
    // level-1 tile, a level-1 partial of width 17 and a level-2 partial of width 1.
    expect(paths.filter((p) => /^tile\/0\/[x0-9/]+$/.test(p))).toHaveLength(273);
    expect(paths.filter((p) => p.startsWith('tile/0/') && p.includes('.p/'))).toEqual(['tile/0/273.p/112']);
    expect(paths.filter((p) => p.startsWith('tile/1/'))).toEqual(['tile/1/000', 'tile/1/001.p/17']);
    expect(paths.filter((p) => p.startsWith('tile/2/'))).toEqual(['tile/2/000.p/1']);
    expect(paths.filter((p) => p.startsWith('tile/entries/'))).toHaveLength(274);
    expect(paths).toContain('tile/entries/273.p/112');
    expect(store.objects.get('tile/0/000')).toHaveLength(8192);
    expect(decodeEntryBundle(store.objects.get('tile/entries/273.p/112')!)[0]).toEqual(entry(273 * 256));

    const leaves = new LeafListNodeReader(entries(0, 70_000).map(hashLeaf));
    expect(build.rootHash).toEqual(await treeHash(leaves, 70_000));
  }, 60_000);

  it('grows a log in batches to the same tiles and root as in one go, reading only the right edge', async () => {
    const once = new MemoryTileStore();
    const whole = await append(once, 0, 2_000);
    const batched = new MemoryTileStore();
    let size = 0;
    let last = whole;
    for (const count of [1, 255, 1, 256, 300, 1_187]) {
      last = await append(batched, size, count);
      size += count;
    }
    expect(size).toBe(2_000);
    expect(last.rootHash).toEqual(whole.rootHash);
    for (const [path, bytes] of once.objects) expect(batched.objects.get(path), path).toEqual(bytes);
    // The batches also left the partial tiles of earlier checkpoints, which the spec lets a log keep.
    expect(batched.objects.get('tile/0/000.p/1')).toHaveLength(32);
  });

  it('refuses to append when the stored tiles do not match the checkpoint root', async () => {
    const store = new MemoryTileStore();
    const first = await append(store, 0, 300);
    await append(store, 0, 0);
    const tile = store.objects.get('tile/0/001.p/44')!;
    tile[0]! ^= 1;
    await expect(buildTiles(store, 300, [entry(300)], first.rootHash)).rejects.toThrow(TlogVerificationError);
    store.objects.delete('tile/0/001.p/44');
    await expect(buildTiles(store, 300, [entry(300)])).rejects.toThrow(TileMissingError);
  });

  it('serves the same proofs from tiles as from the leaves', async () => {
    const store = new MemoryTileStore();
    await append(store, 0, 1_000);
    await append(store, 1_000, 2_000);
    const leaves = new LeafListNodeReader(entries(0, 3_000).map(hashLeaf));
    const tiles = new TileNodeReader(store, 3_000);
    for (const index of [0, 255, 256, 999, 2_047, 2_048, 2_999]) {
      expect(await inclusionProof(tiles, index, 3_000)).toEqual(await inclusionProof(leaves, index, 3_000));
    }
    for (const old of [1, 256, 1_000, 2_048, 2_999]) {
      expect(await consistencyProof(tiles, old, 3_000)).toEqual(await consistencyProof(leaves, old, 3_000));
    }
    // The tree of an older checkpoint is still readable from its partial tiles.
    const older = new TileNodeReader(store, 1_000);
    expect(await treeHash(older, 1_000)).toEqual(await treeHash(leaves, 1_000));
  });
});
