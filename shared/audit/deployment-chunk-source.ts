import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import { DynamoDbChunkStore } from '../chunks/dynamodb-chunk-store.js';
import { processShardPool } from '../runs/shard-pool.js';
import type { ChunkSource } from './chunk-source.js';
import { s3ChunkSource } from './s3-chunk-source.js';

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
