import { describe, expect, it } from 'vitest';
import { buildTiles } from '../../../../shared/tlog/tile-builder.js';
import { MemoryTileStore } from '../../../../shared/tlog/tile-store.js';
import { LeafReader, LeafSet } from '../../../../shared/transparency/leaf-reader.js';

const entry = (i: number) => new TextEncoder().encode(`leaf-${i}`);

/** A log of `size` leaves whose store counts the reads of each path. */
async function counted(size: number) {
  const store = new MemoryTileStore();
  const build = await buildTiles(
    store,
    0,
    Array.from({ length: size }, (_, i) => entry(i)),
  );
  for (const { path, bytes } of build.writes) await store.write(path, bytes);
  const reads: string[] = [];
  const read = store.read.bind(store);
  store.read = (path) => {
    reads.push(path);
    return read(path);
  };
  return { store, reads };
}

describe('LeafReader', () => {
  it('reads leaves by index from their bundles, one read per bundle while it stays cached', async () => {
    const { store, reads } = await counted(600);
    const leaves = new LeafReader(store, 600);
    for (const i of [0, 255, 256, 599, 1, 300]) expect(await leaves.read(i)).toEqual(entry(i));
    expect(reads).toEqual(['tile/entries/000', 'tile/entries/001', 'tile/entries/002.p/88']);
    // Outside the tree: nothing, and nothing read.
    expect(await leaves.read(600)).toBeUndefined();
    expect(await leaves.read(-1)).toBeUndefined();
    expect(reads).toHaveLength(3);
  });

  it('keeps 64 bundles: the least recently used is read again', async () => {
    const { store, reads } = await counted(65 * 256);
    const leaves = new LeafReader(store, 65 * 256);
    for (let n = 0; n < 65; n++) await leaves.read(n * 256);
    expect(reads).toHaveLength(65);
    await leaves.read(64 * 256 + 1); // still cached
    await leaves.read(1); // bundle 0 was evicted by bundle 64
    expect(reads.slice(65)).toEqual(['tile/entries/000']);
  });

  it('answers undefined for a missing bundle or one that does not decode as the tree needs', async () => {
    const { store } = await counted(300);
    store.objects.delete('tile/entries/001.p/44');
    const bad = store.objects.get('tile/entries/000')!;
    bad[0] = 0xff; // the first entry's length now runs past the end
    const leaves = new LeafReader(store, 300);
    expect(await leaves.read(3)).toBeUndefined();
    expect(await leaves.read(290)).toBeUndefined();
  });

  it("reads an older tree's partial bundle, as that tree's size names it", async () => {
    const store = new MemoryTileStore();
    for (const [from, to] of [
      [0, 200],
      [200, 300],
    ] as const) {
      const build = await buildTiles(
        store,
        from,
        Array.from({ length: to - from }, (_, i) => entry(from + i)),
      );
      for (const { path, bytes } of build.writes) await store.write(path, bytes);
    }
    store.objects.delete('tile/entries/000'); // only the size-200 tree's partial bundle remains
    expect(await new LeafReader(store, 200).read(199)).toEqual(entry(199));
    expect(await new LeafReader(store, 300).read(199)).toBeUndefined();
  });
});

describe('LeafSet', () => {
  it('holds one bit per leaf', () => {
    const set = new LeafSet(20);
    for (const i of [0, 7, 8, 19]) set.add(i);
    expect([...Array(20).keys()].filter((i) => set.has(i))).toEqual([0, 7, 8, 19]);
  });
});
