import type { S3Client } from '@aws-sdk/client-s3';
import { MULTISET_HASH_ALGORITHM } from '../../shared/audit/multiset-hash.js';
import { writeChunkLog } from '../../shared/chunks/chunk-log.js';
import type { AuditLocation, ChunkRecord } from '../../shared/chunks/chunk-log-types.js';
import { chunkIdFor } from '../../shared/chunks/chunk-message.js';
import type { ChunkStore } from '../../shared/chunks/chunk-store.js';
import { newRunId, type RunStore } from '../../shared/runs/run-store.js';

export interface SyntheticRunDeps {
  s3: S3Client;
  auditLocation: AuditLocation;
  chunks: Pick<ChunkStore, 'claim' | 'commit'>;
  runs: Pick<RunStore, 'create' | 'getWithTally' | 'close'>;
}

/**
 * A closed run of `chunks` committed chunks of `perChunk` records each, written through the real
 * paths (claim, chunk log written once, commit with its tally shard, close with the shards'
 * digest) without touching any object: the audit trail of a large run at a fraction of the time.
 * `concurrency` chunks are written at once.
 */
export async function writeSyntheticRun(
  deps: SyntheticRunDeps,
  options: { bucket: string; chunks: number; perChunk: number; concurrency?: number },
): Promise<{ runId: string; records: number }> {
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  await deps.runs.create({ runId, bucket: options.bucket, prefix: '', mode: 'sse-kms', startedAt });
  const owner = `synthetic:${process.pid}`;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < options.chunks; i = next++) {
      const chunkId = chunkIdFor(runId, `synthetic:${i}`);
      const claim = await deps.chunks.claim({
        runId,
        chunkId,
        owner,
        leaseSeconds: 600,
        membership: `m${i}`,
      });
      if (!claim.claimed) throw new Error(`chunk ${chunkId} was not claimed`);
      const at = new Date().toISOString();
      const records: ChunkRecord[] = Array.from({ length: options.perChunk }, (_, position) => ({
        decision: 'compliant',
        runId,
        jobId: `${chunkId}:${position}`,
        actor: owner,
        bucket: options.bucket,
        key: `synthetic/${String(i).padStart(6, '0')}/${String(position).padStart(3, '0')}`,
        mode: 'sse-kms',
        at,
        chunkId,
        position,
      }));
      const ref = { runId, chunkId, attempt: claim.item.attempt };
      const log = await writeChunkLog(deps.s3, deps.auditLocation, ref, records);
      const counted = log.lines.map(({ hash, record }) => ({
        hash,
        decision: record.decision,
        at: record.at,
      }));
      const committed = await deps.chunks.commit({ runId, chunkId }, owner, {
        log: { key: log.key, sha256: log.sha256 },
        records: counted,
        keyArns: [],
      });
      if (!committed) throw new Error(`chunk ${chunkId} did not commit`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  const { tally } = (await deps.runs.getWithTally(runId))!;
  await deps.runs.close(runId, {
    digest: tally.digest,
    records: tally.records,
    algorithm: MULTISET_HASH_ALGORITHM,
  });
  return { runId, records: tally.records };
}
