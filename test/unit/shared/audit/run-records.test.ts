import { describe, expect, it } from 'vitest';
import { bucketRecords, runRecords } from '../../../../shared/audit/run-records.js';
import type { Run } from '../../../../shared/runs/run-store.js';
import { chunkIdOf, MemoryChunkTrail, RUN, recordOf } from '../../../helpers/memory-chunk-trail.js';

const [A, B, C, D] = [chunkIdOf(0xa), chunkIdOf(0xb), chunkIdOf(0xc), chunkIdOf(0xd)];

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('runRecords', () => {
  it("yields the committed logs' records only, in chunk order then position", async () => {
    const trail = new MemoryChunkTrail();
    trail.commit(B, 2);
    trail.writeLog(A, 1, [recordOf(A, 0, 'k/abandoned')]);
    trail.commit(A, 1, 2);
    trail.writeLog(C, 1, [recordOf(C, 0, 'k/uncommitted')]);
    trail.claim(C, 1, 'RETRY');
    trail.writeLog(D, 1, [recordOf(D, 0, 'k/no-item')]);
    // Lines stored out of order still come out by position.
    trail.edit(trail.logKey(RUN, B, 1), (l) => l.lines.reverse());
    const records = await collect(runRecords(trail, RUN));
    expect(records.map((r) => `${r.chunkId.slice(-1)}:${r.position}:${r.key}`)).toEqual([
      'a:0:k/0a-0',
      'b:0:k/0b-0',
      'b:1:k/0b-1',
    ]);
  });

  it('reads a committed log whose item names no key where its attempt writes', async () => {
    const trail = new MemoryChunkTrail();
    trail.commit(A, 2);
    trail.items.get(A)!.logKey = undefined;
    expect(await collect(runRecords(trail, RUN))).toHaveLength(2);
  });
});

describe('bucketRecords', () => {
  it('yields the records about one bucket from every run over it or over every bucket', async () => {
    const trail = new MemoryChunkTrail();
    trail.commit(A, 1);
    trail.commitRecords(B, [recordOf(B, 0, 'k/here'), { ...recordOf(B, 1, 'k/elsewhere'), bucket: 'other' }]);
    const runs = {
      async *allRunIds() {
        yield RUN;
        yield 'elsewhere';
      },
      async get(runId: string) {
        return { runId, bucket: runId === RUN ? '*' : 'other' } as Run;
      },
    };
    const records = await collect(bucketRecords(trail, runs, 'b'));
    expect(records.map((r) => r.key)).toEqual(['k/0a-0', 'k/here']);
  });
});
