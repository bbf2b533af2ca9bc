import { describe, expect, it } from 'vitest';
import { chunkIdFor, membershipDigest } from '../../../../shared/chunks/chunk-message.js';
import {
  chunkTtlSeconds,
  EVENT_CHUNK_TTL_SECONDS,
  eventChunk,
  eventOrigin,
  policyForEvent,
  watchRunId,
} from '../../../../shared/events/event-chunk.js';
import type { ObjectCreated } from '../../../../shared/events/s3-event.js';
import { MalformedMessageError } from '../../../../shared/jobs/messages.js';
import type { WatchPolicy } from '../../../../shared/watch/watch-policy.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/k';
const policy = (prefix: string, mode: WatchPolicy['mode']): WatchPolicy => ({
  bucket: 'my-bucket',
  prefix,
  suffix: '',
  mode,
  keyArn: mode === 'sse-s3' ? undefined : KEY,
  notificationId: `n-${prefix}`,
  createdAt: '',
});
const now = new Date('2026-11-22T10:00:00Z');
const event: ObjectCreated = {
  bucket: 'my-bucket',
  key: 'logs/app/1.txt',
  eventName: 'ObjectCreated:Put',
  eTag: 'e1',
  size: 5,
  sequencer: '0A',
};

describe('policyForEvent', () => {
  it('uses the watch policy with the longest matching prefix', () => {
    expect(policyForEvent(event, [policy('', 'sse-s3'), policy('logs/', 'envelope')]).mode).toBe('envelope');
  });

  it('refuses an object no policy covers (an unknown bucket) as malformed', () => {
    expect(() => policyForEvent(event, [policy('images/', 'sse-s3')])).toThrow(MalformedMessageError);
    expect(() => policyForEvent(event, [])).toThrow(
      /no watch policy covers s3:\/\/my-bucket\/logs\/app\/1.txt/,
    );
  });
});

describe('eventOrigin', () => {
  it('names the upload by its sequencer, or without one by its ETag and version id', () => {
    expect(eventOrigin(event)).toBe('event:my-bucket/logs/app/1.txt:0A');
    expect(eventOrigin({ ...event, sequencer: undefined, versionId: 'v1' })).toBe(
      'event:my-bucket/logs/app/1.txt:e1+v1',
    );
    expect(eventOrigin({ ...event, sequencer: undefined })).toBe('event:my-bucket/logs/app/1.txt:e1+');
  });

  it('refuses an event that cannot be told from another upload of the key', () => {
    expect(() => eventOrigin({ ...event, sequencer: undefined, eTag: undefined })).toThrow(
      MalformedMessageError,
    );
  });
});

describe('eventChunk', () => {
  it('is a one-intent encrypt chunk of the bucket’s daily watch run, under the policy', () => {
    const chunk = eventChunk(event, policy('logs/', 'envelope'), now);
    const runId = 'watch-my-bucket-2026-11-22';
    expect(watchRunId('my-bucket', now)).toBe(runId);
    expect(chunk).toEqual({
      type: 'encrypt-chunk',
      runId,
      bucket: 'my-bucket',
      mode: 'envelope',
      keyArn: KEY,
      chunkId: chunkIdFor(runId, 'event:my-bucket/logs/app/1.txt:0A'),
      origin: 'event:my-bucket/logs/app/1.txt:0A',
      intents: [{ key: 'logs/app/1.txt', etag: 'e1', size: 5 }],
    });
    expect(chunk.chunkId).toMatch(/^[0-9a-f]{24}$/);
  });

  it('builds the same chunk for every delivery of an event, and another for a new upload or day', () => {
    const a = eventChunk(event, policy('', 'sse-s3'), now);
    const again = eventChunk(event, policy('', 'sse-s3'), new Date('2026-11-22T23:59:59Z'));
    expect(again).toEqual(a);
    expect(membershipDigest(again.intents)).toBe(membershipDigest(a.intents));
    expect(eventChunk({ ...event, sequencer: '0B' }, policy('', 'sse-s3'), now).chunkId).not.toBe(a.chunkId);
    expect(eventChunk(event, policy('', 'sse-s3'), new Date('2026-11-23T00:00:00Z')).chunkId).not.toBe(
      a.chunkId,
    );
  });

  it('names no version id in its intent: the decision is on the key’s current version', () => {
    expect(eventChunk({ ...event, versionId: 'v1' }, policy('', 'sse-s3'), now).intents).toEqual([
      { key: 'logs/app/1.txt', etag: 'e1', size: 5 },
    ]);
  });

  it("carries the watch's format and choice for uploads under other KMS keys", () => {
    const leave: WatchPolicy = { ...policy('', 'sse-kms'), otherKmsKeys: 'leave' };
    expect(eventChunk(event, leave, now).otherKmsKeys).toBe('leave');
    expect(eventChunk(event, policy('', 'sse-kms'), now).otherKmsKeys).toBeUndefined();
    expect(eventChunk(event, { ...policy('', 'envelope'), format: 'v2' }, now).format).toBe('v2');
  });
});

describe('chunkTtlSeconds', () => {
  it('keeps an event chunk one day and every other chunk for good', () => {
    expect(EVENT_CHUNK_TTL_SECONDS).toBe(86_400);
    expect(chunkTtlSeconds({ origin: 'event:b/k:0A' })).toBe(86_400);
    expect(chunkTtlSeconds({ origin: 'listing:chain:1:0' })).toBeUndefined();
  });
});
