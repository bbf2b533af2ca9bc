import type { S3Client } from '@aws-sdk/client-s3';
import { errorName } from '../aws-errors.js';
import { chunkLogKey, listChunkLogs, readChunkLog } from '../chunks/chunk-log.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkStore } from '../chunks/chunk-store.js';
import type { ChunkSource } from './chunk-source.js';

/**
 * The audit trail as the tool reads it: chunk items from the ledger table, chunk logs from the
 * audit location in S3 (docs/architecture.md, "Audit trail in S3").
 */
export function s3ChunkSource(deps: {
  s3: S3Client;
  location: AuditLocation;
  chunks: Pick<ChunkStore, 'get' | 'listRun'>;
}): ChunkSource {
  const { s3, location, chunks } = deps;
  return {
    listRun: (runId) => chunks.listRun(runId),
    get: (ref) => chunks.get(ref),
    listLogs: (runId) => listChunkLogs(s3, location, runId),
    logKey: (runId, chunkId, attempt) => chunkLogKey(location, runId, chunkId, attempt),
    async readLog(key) {
      try {
        return await readChunkLog(s3, location, key);
      } catch (error) {
        // Only a missing object is a missing log: a missing bucket or a denied read is no verdict.
        if (errorName(error) === 'NoSuchKey') return undefined;
        throw error;
      }
    },
  };
}
