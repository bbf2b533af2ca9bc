import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { errorName } from '../aws-errors.js';
import { chunkLogKey, listChunkLogs, readChunkLog } from '../chunks/chunk-log.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import type { ChunkStore } from '../chunks/chunk-store.js';
import { DynamoDbChunkStore } from '../chunks/dynamodb-chunk-store.js';
import { processShardPool } from '../runs/shard-pool.js';
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

/** The chunk source of a deployment: its ledger table's chunk items and its audit location. */
export function deploymentChunkSource(
  clients: { s3: S3Client; dynamo: DynamoDBDocumentClient },
  config: { ledgerTable: string; auditLocation: AuditLocation; tallyShards: number },
): ChunkSource {
  // Readers never commit: the shard pool is only what the store's constructor asks for.
  const chunks = new DynamoDbChunkStore(
    clients.dynamo,
    config.ledgerTable,
    processShardPool(config.tallyShards),
  );
  return s3ChunkSource({ s3: clients.s3, location: config.auditLocation, chunks });
}
