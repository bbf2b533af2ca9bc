import type { S3Client } from '@aws-sdk/client-s3';
import { readChunkLog } from '../../shared/chunks/chunk-log.js';
import type { AuditLocation, ChunkRecord } from '../../shared/chunks/chunk-log-types.js';
import type { ChunkItem, ChunkStore } from '../../shared/chunks/chunk-store.js';
import type { RunStore } from '../../shared/runs/run-store.js';

/**
 * What tests read of the audit trail: the records of committed chunk logs, as `audit export` reads
 * them, and the chunk items that committed them.
 */
export function trailOf(deps: {
  s3: S3Client;
  chunks: ChunkStore;
  auditLocation: AuditLocation;
  runs: RunStore;
}) {
  async function chunksOf(runId: string): Promise<ChunkItem[]> {
    const items: ChunkItem[] = [];
    for await (const item of deps.chunks.listRun(runId)) items.push(item);
    return items;
  }
  async function records(runId: string): Promise<ChunkRecord[]> {
    const out: ChunkRecord[] = [];
    for (const item of await chunksOf(runId)) {
      if (item.state !== 'DONE' || !item.logKey) continue;
      const log = await readChunkLog(deps.s3, deps.auditLocation, item.logKey);
      out.push(...log.lines.map((line) => line.record));
    }
    return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
  return {
    chunksOf,
    records,
    /** The latest committed record of an object in `runId`, or undefined. */
    async decisionOf(runId: string, bucket: string, key: string): Promise<ChunkRecord | undefined> {
      const mine = (await records(runId)).filter((r) => r.bucket === bucket && r.key === key);
      return mine.at(-1);
    },
    /** Records per key of a run (the last one of each key). */
    async byKey(runId: string): Promise<Map<string, ChunkRecord>> {
      return new Map((await records(runId)).map((r) => [r.key, r]));
    },
  };
}
