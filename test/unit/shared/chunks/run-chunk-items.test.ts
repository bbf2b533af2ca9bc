import { describe, expect, it } from 'vitest';
import type { ChunkItem, ChunkRef } from '../../../../shared/chunks/chunk-store.js';
import { runChunkItems } from '../../../../shared/chunks/run-chunk-items.js';

const RUN = 'R1';
const idOf = (n: number) => n.toString(16).padStart(24, '0');

const item = (chunkId: string): ChunkItem => ({
  runId: RUN,
  chunkId,
  state: 'DONE',
  attempt: 1,
  membership: 'm',
  salts: [],
  firstClaimedAt: '2026-12-07T00:00:00.000Z',
  updatedAt: '2026-12-07T00:00:00.000Z',
});

/** Logs listed in key order; every BatchGetItem's refs recorded; `missing` chunks have no item. */
function source(logs: Array<{ chunkId: string; problem?: string }>, missing = new Set<string>()) {
  const batches: ChunkRef[][] = [];
  return {
    batches,
    deps: {
      async *listLogs(runId: string) {
        expect(runId).toBe(RUN);
        yield* logs;
      },
      async getMany(refs: ChunkRef[]) {
        batches.push(refs);
        return refs.filter((ref) => !missing.has(ref.chunkId)).map((ref) => item(ref.chunkId));
      },
    },
  };
}

async function all(iterable: AsyncIterable<ChunkItem>): Promise<string[]> {
  const ids: string[] = [];
  for await (const found of iterable) ids.push(found.chunkId);
  return ids;
}

describe('runChunkItems', () => {
  it('reads each chunk its logs name once, however many attempts it logged, 100 chunks per batch', async () => {
    // 250 chunks; every third logged two attempts (one abandoned, one committed).
    const logs = Array.from({ length: 250 }, (_, n) =>
      n % 3 === 0 ? [{ chunkId: idOf(n) }, { chunkId: idOf(n) }] : [{ chunkId: idOf(n) }],
    ).flat();
    const { deps, batches } = source(logs);
    const ids = await all(runChunkItems(deps, RUN));
    expect(ids).toEqual(Array.from({ length: 250 }, (_, n) => idOf(n)));
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(batches.flat().every((ref) => ref.runId === RUN)).toBe(true);
  });

  it('asks nothing of DynamoDB for a run with no logs, and one batch for a full hundred', async () => {
    const empty = source([]);
    expect(await all(runChunkItems(empty.deps, RUN))).toEqual([]);
    expect(empty.batches).toEqual([]);
    const hundred = source(Array.from({ length: 100 }, (_, n) => ({ chunkId: idOf(n) })));
    expect(await all(runChunkItems(hundred.deps, RUN))).toHaveLength(100);
    expect(hundred.batches.map((batch) => batch.length)).toEqual([100]);
  });

  it('skips objects that are no chunk log, and leaves out chunks without an item', async () => {
    const { deps, batches } = source(
      [{ chunkId: idOf(1) }, { chunkId: '', problem: 'not a chunk log name' }, { chunkId: idOf(2) }],
      new Set([idOf(2)]),
    );
    expect(await all(runChunkItems(deps, RUN))).toEqual([idOf(1)]);
    expect(batches).toEqual([
      [
        { runId: RUN, chunkId: idOf(1) },
        { runId: RUN, chunkId: idOf(2) },
      ],
    ]);
  });
});
