import type { EncryptChunk } from '../chunks/chunk-message.js';
import { chunkIdFor } from '../chunks/chunk-message.js';
import { MalformedMessageError } from '../jobs/messages.js';
import { matchPolicy, type WatchPolicy } from '../watch/watch-policy.js';
import type { ObjectCreated } from './s3-event.js';
import { EVENT_CHUNK_TTL_SECONDS, watchRunId } from './watch-run-id.js';

export { EVENT_CHUNK_TTL_SECONDS, watchRunId } from './watch-run-id.js';

const EVENT_ORIGIN = 'event:';

/**
 * What names one upload: S3's sequencer (unique per key and growing with each event), or without
 * one its ETag and version id. A redelivery of the same event names the same upload, so it maps to
 * the same chunk; a second upload of the key names another.
 */
export function eventOrigin(event: ObjectCreated): string {
  const upload =
    event.sequencer ??
    (event.eTag || event.versionId ? `${event.eTag ?? ''}+${event.versionId ?? ''}` : undefined);
  if (upload === undefined) {
    // Without any of the three, two uploads of the key would share a chunk and the second be
    // taken for a duplicate of the first: refuse it, with its reason, rather than miss an upload.
    throw new MalformedMessageError(
      `S3 event for s3://${event.bucket}/${event.key} names no sequencer, eTag or versionId`,
    );
  }
  return `${EVENT_ORIGIN}${event.bucket}/${event.key}:${upload}`;
}

/**
 * The chunk item TTL a chunk message asks for: one day for live enforcement's one-event chunks
 * (their origin starts with `event:`), none (kept) for every other chunk. The large-object queue's
 * consumer runs event chunks too and passes this to the runner.
 */
export function chunkTtlSeconds(message: Pick<EncryptChunk, 'origin'>): number | undefined {
  return message.origin.startsWith(EVENT_ORIGIN) ? EVENT_CHUNK_TTL_SECONDS : undefined;
}

/** The watch policy that governs an event's object; an object no policy covers is malformed. */
export function policyForEvent(event: ObjectCreated, policies: WatchPolicy[]): WatchPolicy {
  const policy = matchPolicy(policies, event.key);
  if (!policy) {
    throw new MalformedMessageError(
      `no watch policy covers s3://${event.bucket}/${event.key} (unknown bucket)`,
    );
  }
  return policy;
}

/**
 * The one-intent chunk of an ObjectCreated record under its watch policy, in the bucket's watch run
 * of `now`'s day. Its membership comes from the event alone (key, ETag, size), never from a HEAD,
 * so every delivery of the event builds the same chunk. The intent names no version id: the
 * decision is on the key's current version, as for a listing; protecting an older version in place
 * would bring it back over a newer upload.
 */
export function eventChunk(event: ObjectCreated, policy: WatchPolicy, now: Date): EncryptChunk {
  const runId = watchRunId(event.bucket, now);
  const origin = eventOrigin(event);
  return {
    type: 'encrypt-chunk',
    runId,
    bucket: event.bucket,
    mode: policy.mode,
    ...(policy.keyArn ? { keyArn: policy.keyArn } : {}),
    ...(policy.format ? { format: policy.format } : {}),
    ...(policy.otherKmsKeys ? { otherKmsKeys: policy.otherKmsKeys } : {}),
    chunkId: chunkIdFor(runId, origin),
    origin,
    intents: [
      {
        key: event.key,
        ...(event.eTag ? { etag: event.eTag } : {}),
        ...(event.size !== undefined ? { size: event.size } : {}),
      },
    ],
  };
}
