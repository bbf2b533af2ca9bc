import type { EncryptJob, RewrapJob } from '../jobs/messages.js';
import { runFieldsOf } from '../jobs/messages.js';
import { jobIdFor } from '../jobs/scan-page.js';
import type { ChunkIntent, EncryptChunk, RewrapChunk } from './chunk-message.js';

/** What a job takes of an intent: the object and what its source showed of it. */
function objectOf(intent: ChunkIntent) {
  return {
    key: intent.key,
    ...(intent.etag !== undefined ? { etag: intent.etag } : {}),
    ...(intent.size !== undefined ? { size: intent.size } : {}),
    ...(intent.versionId !== undefined ? { versionId: intent.versionId } : {}),
    ...(intent.instructionFile !== undefined ? { instructionFile: intent.instructionFile } : {}),
  };
}

/**
 * The encrypt job of one intent of a chunk (docs/architecture.md, "Chunks"): the run's fields and
 * the object, with the job id every delivery of that object in that run shares.
 */
export function encryptJobOf(chunk: EncryptChunk, intent: ChunkIntent): EncryptJob {
  return {
    ...runFieldsOf(chunk),
    jobId: jobIdFor(chunk.runId, chunk.bucket, intent.key),
    ...objectOf(intent),
  };
}

/** The re-wrap job of one intent of a chunk. */
export function rewrapJobOf(chunk: RewrapChunk, intent: ChunkIntent): RewrapJob {
  return {
    runId: chunk.runId,
    jobId: jobIdFor(chunk.runId, chunk.bucket, intent.key),
    bucket: chunk.bucket,
    fromKeyArn: chunk.fromKeyArn,
    toKeyArn: chunk.toKeyArn,
    ...(chunk.wrappedBefore !== undefined ? { wrappedBefore: chunk.wrappedBefore } : {}),
    ...objectOf(intent),
  };
}
