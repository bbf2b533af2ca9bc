import { describe, expect, it } from 'vitest';
import { rememberingLogHashes } from '../../../../shared/audit/remembered-log-hashes.js';
import { chunkIdOf, MemoryChunkTrail, RUN } from '../../../helpers/memory-chunk-trail.js';

describe('rememberingLogHashes', () => {
  it('remembers the SHA-256 of each log read through it, up to its limit, and nothing for a missing log', async () => {
    const trail = new MemoryChunkTrail();
    const keys = [1, 2, 3].map((n) => trail.commit(chunkIdOf(n), 1).logKey!);
    const { source, hashes } = rememberingLogHashes(trail, 2);
    expect(hashes.get(keys[0]!)).toBeUndefined();
    const read = await source.readLog(keys[0]!);
    expect(hashes.get(keys[0]!)).toBe(read!.sha256);
    expect(await source.readLog(trail.logKey(RUN, chunkIdOf(9), 1))).toBeUndefined();
    await source.readLog(keys[1]!);
    await source.readLog(keys[2]!);
    // The limit holds: the third log is not remembered (a later pass reads it again).
    expect(hashes.size).toBe(2);
    expect(hashes.get(keys[1]!)).toBe((await trail.readLog(keys[1]!))!.sha256);
    expect(hashes.get(keys[2]!)).toBeUndefined();
  });

  it('passes every other read through unchanged', async () => {
    const trail = new MemoryChunkTrail();
    const item = trail.commit(chunkIdOf(1), 1);
    const { source } = rememberingLogHashes(trail);
    expect(await source.get({ runId: RUN, chunkId: item.chunkId })).toEqual(item);
    expect(source.logKey(RUN, item.chunkId, 1)).toBe(item.logKey);
    const listed = [];
    for await (const log of source.listLogs(RUN)) listed.push(log.key);
    expect(listed).toEqual([item.logKey]);
    const items = [];
    for await (const each of source.listRun(RUN)) items.push(each.chunkId);
    expect(items).toEqual([item.chunkId]);
  });
});
