import type { S3Client } from '@aws-sdk/client-s3';
import { RunCloser } from '../audit/run-digest.js';
import { listChunkLogs, readCommittedLog } from '../chunks/chunk-log.js';
import { type ChunkLogCache, processChunkLogCache } from '../chunks/chunk-log-cache.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkStore } from '../chunks/chunk-store.js';
import { runChunkItems } from '../chunks/run-chunk-items.js';
import type { RunStore } from '../runs/run-store.js';
import { compactRunManifests } from './compact-run.js';

/**
 * The run closer's hook (shared/audit/run-digest.ts): after a run is closed, its manifests are
 * compacted (docs/architecture.md, "Manifests") from its chunk items, read once: the chunk ids
 * its logs name and one BatchGetItem per 100 chunks (runChunkItems). Idempotent: a closer that
 * finds the run closed calls it again, and a finished compaction is one HEAD of its marker.
 */
export function manifestsAtClose(
  s3: S3Client,
  location: AuditLocation,
  chunks: Pick<ChunkStore, 'getMany'>,
  /** The logs this process wrote (chunk-log-cache.ts): those are not read back from S3. */
  logs: ChunkLogCache = processChunkLogCache(),
): (runId: string, closing: { closedNow: boolean }) => Promise<void> {
  const chunkSource = {
    listLogs: (runId: string) => listChunkLogs(s3, location, runId),
    getMany: (refs: Parameters<ChunkStore['getMany']>[0]) => chunks.getMany(refs),
  };
  return async (runId, closing) => {
    await compactRunManifests(
      {
        s3,
        location,
        chunkItems: (id) => runChunkItems(chunkSource, id),
        readLog: (key, sha256) => readCommittedLog(s3, location, key, sha256, logs),
      },
      runId,
      closing,
    );
  };
}

/** The run closer every handler and local run uses: it closes runs, then compacts their manifests. */
export function manifestCloser(
  runs: RunStore,
  s3: S3Client,
  location: AuditLocation,
  chunks: Pick<ChunkStore, 'getMany'>,
): RunCloser {
  return new RunCloser(runs, manifestsAtClose(s3, location, chunks));
}
