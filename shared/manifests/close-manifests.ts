import type { S3Client } from '@aws-sdk/client-s3';
import { readChunkLog } from '../chunks/chunk-log.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkStore } from '../chunks/chunk-store.js';
import { compactRunManifests } from './compact-run.js';

/**
 * The run closer's hook (shared/audit/run-digest.ts): after a run is closed, its manifests are
 * compacted (docs/architecture.md, "Per-key manifests"). Idempotent: a closer that finds the run
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
