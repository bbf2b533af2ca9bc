import type { S3Client } from '@aws-sdk/client-s3';
import { RunCloser } from '../audit/run-digest.js';
import { listChunkLogs, readCommittedLog } from '../chunks/chunk-log.js';
import { type ChunkLogCache, processChunkLogCache } from '../chunks/chunk-log-cache.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkStore } from '../chunks/chunk-store.js';
import { runChunkItems } from '../chunks/run-chunk-items.js';
import type { RunStore } from '../runs/run-store.js';
import type { CommitFeed } from '../transparency/commit-feed.js';
import { feedingUnsequenced, flushAfterClose } from '../transparency/unsequenced-chunks.js';
import { compactRunManifests } from './compact-run.js';

/**
 * The run closer's hook (shared/audit/run-digest.ts): after a run is closed, its manifests are
 * compacted (docs/architecture.md, "Manifests") from its chunk items, read once: the chunk ids
 * its logs name and one BatchGetItem per 100 chunks (runChunkItems). With `sequencing`, each
 * committed chunk read there without a leaf goes to the transparency log on the way
 * (shared/transparency/unsequenced-chunks.ts). Idempotent: a closer that finds the run closed
 * calls it again, and a finished compaction is one HEAD of its marker.
 */
export function manifestsAtClose(
  s3: S3Client,
  location: AuditLocation,
  chunks: Pick<ChunkStore, 'getMany'>,
  /** The logs this process wrote (chunk-log-cache.ts): those are not read back from S3. */
  logs: ChunkLogCache = processChunkLogCache(),
  sequencing?: CommitFeed,
): (runId: string, closing: { closedNow: boolean }) => Promise<void> {
  const chunkSource = {
    listLogs: (runId: string) => listChunkLogs(s3, location, runId),
    getMany: (refs: Parameters<ChunkStore['getMany']>[0]) => chunks.getMany(refs),
  };
  const chunkItems = (runId: string) => {
    const items = runChunkItems(chunkSource, runId);
    return sequencing ? feedingUnsequenced(items, location.bucket, sequencing) : items;
  };
  return async (runId, closing) => {
    await compactRunManifests(
      {
        s3,
        location,
        chunkItems,
        readLog: (key, sha256) => readCommittedLog(s3, location, key, sha256, logs),
      },
      runId,
      closing,
    );
    if (sequencing) await flushAfterClose(sequencing, runId);
  };
}

/** The run closer every handler and local run uses: it closes runs, then compacts their manifests. */
export function manifestCloser(
  runs: RunStore,
  s3: S3Client,
  location: AuditLocation,
  chunks: Pick<ChunkStore, 'getMany'>,
  sequencing?: CommitFeed,
): RunCloser {
  return new RunCloser(runs, manifestsAtClose(s3, location, chunks, processChunkLogCache(), sequencing));
}
