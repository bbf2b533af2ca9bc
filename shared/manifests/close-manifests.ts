import type { S3Client } from '@aws-sdk/client-s3';
import { RunCloser } from '../audit/run-digest.js';
import { readChunkLog } from '../chunks/chunk-log.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkStore } from '../chunks/chunk-store.js';
import type { RunStore } from '../runs/run-store.js';
import type { CommitFeed } from '../transparency/commit-feed.js';
import { feedingUnsequenced, flushAfterClose } from '../transparency/unsequenced-chunks.js';
import { compactRunManifests } from './compact-run.js';

/**
 * The run closer's hook (shared/audit/run-digest.ts): after a run is closed, its manifests are
 * compacted (docs/architecture.md, "Manifests"). Idempotent: a closer that finds the run
 * closed calls it again, and a finished compaction is one HEAD of its marker.
 */
export function manifestsAtClose(
  s3: S3Client,
  location: AuditLocation,
  chunks: Pick<ChunkStore, 'listRun'>,
): (runId: string) => Promise<void> {
  return async (runId) => {
    await compactRunManifests(
      { s3, location, chunks, readLog: (key) => readChunkLog(s3, location, key) },
      runId,
    );
  };
}

/**
 * The run closer every handler and local run uses: it closes runs, then compacts their manifests;
 * with `sequencing`, the committed chunks the compaction reads without a leaf go to the
 * transparency log (shared/transparency/unsequenced-chunks.ts).
 */
export function manifestCloser(
  runs: RunStore,
  s3: S3Client,
  location: AuditLocation,
  chunks: Pick<ChunkStore, 'listRun'>,
  sequencing?: CommitFeed,
): RunCloser {
  if (!sequencing) return new RunCloser(runs, manifestsAtClose(s3, location, chunks));
  const compact = manifestsAtClose(s3, location, feedingUnsequenced(chunks, location.bucket, sequencing));
  return new RunCloser(runs, async (runId) => {
    await compact(runId);
    await flushAfterClose(sequencing, runId);
  });
}
