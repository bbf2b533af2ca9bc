// TEMPORARY STUB (h/producers): the lead's shared/chunks/run-chunk.ts replaces this file at merge.
import type { S3Client } from '@aws-sdk/client-s3';
import type { AuditRecord } from '../audit/audit-record.js';
import type { Config } from '../config.js';
import type { AuditLocation } from './chunk-log-types.js';
import type { ChunkStore } from './chunk-store.js';

export interface DecidedChunkDeps {
  s3: S3Client;
  chunks: ChunkStore;
  auditLocation: AuditLocation;
  config: Pick<Config, 'leaseSeconds' | 'actor'>;
  now?: () => Date;
}

export async function commitDecidedChunk(
  _ref: { runId: string; chunkId: string },
  _records: AuditRecord[],
  _deps: DecidedChunkDeps,
): Promise<'committed' | 'duplicate'> {
  throw new Error('not yet');
}
