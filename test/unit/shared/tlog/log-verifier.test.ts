import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../../../shared/tlog/directory-tile-store.js';
import { TileMissingError, TlogVerificationError } from '../../../../shared/tlog/errors.js';
import { verifyLog } from '../../../../shared/tlog/log-verifier.js';
import { buildTiles } from '../../../../shared/tlog/tile-builder.js';
import { MemoryTileStore } from '../../../../shared/tlog/tile-store.js';

const entry = (i: number) => new TextEncoder().encode(`chunk-log-${i}`);

async function log(sizes: number[]) {
  const store = new MemoryTileStore();
  let size = 0;
  let rootHash: Uint8Array = new Uint8Array();
  for (const next of sizes) {
    const build = await buildTiles(
      store,
      size,
      Array.from({ length: next - size }, (_, i) => entry(size + i)),
    );
    for (const { path, bytes } of build.writes) await store.write(path, bytes);
    ({ size, rootHash } = build);
  }
  return { store, checkpoint: { size, rootHash } };
}

describe('verifyLog', () => {
  it('reads every bundle and tile once and hands each entry over in order', async () => {
    const { store, checkpoint } = await log([100, 66_000]);
    const seen: number[] = [];
    const check = await verifyLog(store, checkpoint, (index, bytes) => {
      if (index % 10_000 === 0) expect(bytes).toEqual(entry(index));
      seen.push(index);
    });
    expect(seen).toHaveLength(66_000);
    expect(seen.every((index, i) => index === i)).toBe(true);
    // 258 bundles; level-0 tiles read once for the bundles and once as a child, level 1 the same.
    expect(check).toMatchObject({ size: 66_000, bundles: 258 });
    // An older checkpoint is still checkable from the partial tiles it named.
    expect((await verifyLog(store, (await log([100])).checkpoint)).bundles).toBe(1);
  }, 60_000);

  it('names a tampered bundle, a tampered tile, a missing tile and a wrong root', async () => {
    const { store, checkpoint } = await log([600]);
    const tamper = async (path: string, check: RegExp | typeof TileMissingError) => {
      const saved = store.objects.get(path)!;
      const bad = Uint8Array.from(saved);
      bad[bad.length - 1]! ^= 1;
      store.objects.set(path, bad);
      await expect(verifyLog(store, checkpoint)).rejects.toThrow(check);
      store.objects.delete(path);
      await expect(verifyLog(store, checkpoint)).rejects.toThrow(TileMissingError);
      store.objects.set(path, saved);
    };
    await tamper(
      'tile/entries/001',
      /entry 511 \(tile\/entries\/001\) does not hash to its leaf in tile\/0\/001/,
    );
    await tamper('tile/0/000', /entry 255 .* does not hash to its leaf in tile\/0\/000/);
    await tamper('tile/1/000.p/2', /tile\/0\/001 does not hash to its entry in tile\/1\/000\.p\/2/);
    await tamper('tile/0/002.p/88', /entry 599/);
    await expect(verifyLog(store, { ...checkpoint, rootHash: new Uint8Array(32) })).rejects.toThrow(
      TlogVerificationError,
    );
    await expect(verifyLog(store, checkpoint)).resolves.toMatchObject({ size: 600, bundles: 3 });
  });
});

describe('DirectoryTileStore', () => {
  it('reads what it wrote, answers undefined for a missing path and refuses paths out of the log', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tlog-dir-'));
    try {
      const store = new DirectoryTileStore(root);
      await store.write('tile/0/x001/234.p/5', Uint8Array.of(1, 2));
      expect(readFileSync(join(root, 'tile/0/x001/234.p/5'))).toEqual(Buffer.of(1, 2));
      expect(await store.read('tile/0/x001/234.p/5')).toEqual(Uint8Array.of(1, 2));
      expect(await store.read('tile/0/000')).toBeUndefined();
      await expect(store.read('../etc/passwd')).rejects.toThrow(/bad log path/);
      await expect(store.write('tile//0', Uint8Array.of(1))).rejects.toThrow(/bad log path/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
