import type { EncryptChunk } from '../../shared/chunks/chunk-message.js';
import { chunkIdFor } from '../../shared/chunks/chunk-message.js';
import { type ChunkDeps, runChunk } from '../../shared/chunks/run-chunk.js';
import { type EncryptDeps, encryptChunkKind } from '../../shared/jobs/encrypt-object.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import type { JobResult } from '../../shared/lifecycle/job-result.js';

/**
 * One object as a chunk of its own, through the real chunk lifecycle (claim, HEAD, write, log,
 * commit): what tests of a single object's decision run. Its chunk id is stable per run and key,
 * so running the same job again is a redelivery of the same chunk.
 */
export async function encryptOne(job: EncryptJob, deps: EncryptDeps & ChunkDeps): Promise<JobResult> {
  const outcome = await runChunk(oneObjectChunk(job), encryptChunkKind(deps), deps);
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
