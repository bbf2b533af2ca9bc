import type { EncryptChunk, RewrapChunk } from '../../shared/chunks/chunk-message.js';
import { chunkIdFor } from '../../shared/chunks/chunk-message.js';
import { type ChunkDeps, type ChunkOutcome, runChunk } from '../../shared/chunks/run-chunk.js';
import { type EncryptDeps, encryptChunkKind } from '../../shared/jobs/encrypt-object.js';
import type { EncryptJob, RewrapJob } from '../../shared/jobs/messages.js';
import type { JobResult } from '../../shared/lifecycle/job-result.js';
import { type RewrapDeps, rewrapChunkKind } from '../../shared/rewrap/rewrap-object.js';

/**
 * One object as a chunk of its own, through the real chunk lifecycle (claim, HEAD, write, log,
 * commit): what tests of a single object's decision run. Its chunk id is stable per run and key,
 * so running the same job again is a redelivery of the same chunk.
 */
export async function encryptOne(job: EncryptJob, deps: EncryptDeps & ChunkDeps): Promise<JobResult> {
  return onlyResult(await runChunk(oneObjectChunk(job), encryptChunkKind(deps), deps));
}

/**
 * One re-wrap as a chunk of its own (a one-intent `rewrap-chunk`), through the real chunk lifecycle.
 * As with `encryptOne`, the chunk id is stable per run and key: running the same job again is a
 * redelivery of the same chunk (a duplicate once committed, a recovery after a crash).
 */
export async function rewrapOne(job: RewrapJob, deps: RewrapDeps & ChunkDeps): Promise<JobResult> {
  return onlyResult(await runChunk(oneRewrapChunk(job), rewrapChunkKind(deps), deps));
}

function onlyResult(outcome: ChunkOutcome): JobResult {
  return outcome.state === 'committed'
    ? outcome.results[0]!
    : { outcome: 'duplicate', detail: outcome.detail };
}

export function oneObjectChunk(job: EncryptJob): EncryptChunk {
  const { jobId: _jobId, key, etag, size, versionId, ...run } = job as EncryptJob & { type?: string };
  const origin = `test:${job.bucket}/${key}`;
  return {
    ...run,
    type: 'encrypt-chunk',
    chunkId: chunkIdFor(job.runId, origin),
    origin,
    intents: [{ key, etag, size, versionId }],
  } as EncryptChunk;
}

export function oneRewrapChunk(job: RewrapJob): RewrapChunk {
  const { runId, bucket, fromKeyArn, toKeyArn, wrappedBefore, key, etag, size, versionId } = job;
  const origin = `test:${bucket}/${key}`;
  return {
    type: 'rewrap-chunk',
    runId,
    bucket,
    fromKeyArn,
    toKeyArn,
    ...(wrappedBefore !== undefined ? { wrappedBefore } : {}),
    chunkId: chunkIdFor(runId, origin),
    origin,
    intents: [
      {
        key,
        ...(etag !== undefined ? { etag } : {}),
        ...(size !== undefined ? { size } : {}),
        ...(versionId !== undefined ? { versionId } : {}),
      },
    ],
  };
}
