import type { EncryptJob, RewrapJob } from '../jobs/messages.js';
import { chunkIdFor, type EncryptChunk, type RewrapChunk } from './chunk-message.js';

/**
 * The chunk of its own an object gets when its HEAD shows it too large for a function invocation
 * (docs/architecture.md, "Large objects"): one intent, `large`, its id stable per run and object,
 * so handing it off again after a redelivery replays the same chunk. The intent names the key only:
 * the worker's HEAD decides on what S3 shows then.
 */
export function largeEncryptChunk(job: EncryptJob): EncryptChunk {
  const { jobId: _jobId, key, etag: _etag, size: _size, versionId: _versionId, ...run } = job;
  const origin = `large:${job.bucket}/${key}`;
  return {
    ...run,
    type: 'encrypt-chunk',
    chunkId: chunkIdFor(job.runId, origin),
    origin,
    intents: [{ key }],
    large: true,
  };
}

/** The re-wrap counterpart of {@link largeEncryptChunk}. */
export function largeRewrapChunk(job: RewrapJob): RewrapChunk {
  const { jobId: _jobId, key, etag: _etag, size: _size, versionId: _versionId, ...run } = job;
  const origin = `large:${job.bucket}/${key}`;
  return {
    ...run,
    type: 'rewrap-chunk',
    chunkId: chunkIdFor(job.runId, origin),
    origin,
    intents: [{ key }],
    large: true,
  };
}
