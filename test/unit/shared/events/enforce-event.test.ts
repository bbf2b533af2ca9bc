import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import type { EncryptChunk } from '../../../../shared/chunks/chunk-message.js';
import type { ChunkOutcome } from '../../../../shared/chunks/run-chunk.js';
import { type EnforceEventDeps, enforceEvent } from '../../../../shared/events/enforce-event.js';
import type { ObjectCreated } from '../../../../shared/events/s3-event.js';
import { MalformedMessageError } from '../../../../shared/jobs/messages.js';
import type { WatchPolicy } from '../../../../shared/watch/watch-policy.js';
import { decryptingKms, type FakeHead, headingS3 } from '../../../helpers/event-clients.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const NOW = new Date('2026-12-06T08:00:00.000Z');
const watch: WatchPolicy = {
  bucket: 'b-1',
  prefix: '',
  suffix: '',
  mode: 'sse-kms',
  keyArn: KEY,
  notificationId: 'n',
  createdAt: '',
};
const created = (key: string, size = 5): ObjectCreated => ({
  bucket: 'b-1',
  key,
  eventName: 'ObjectCreated:Put',
  eTag: 'e1',
  size,
  sequencer: '0A',
});

function setup(objects: Record<string, FakeHead>, options: { largeBytes?: number } = {}) {
  const s3 = headingS3(objects);
  const sentToLarge: string[] = [];
  const recorded: string[] = [];
  const committed: ChunkOutcome = { state: 'committed', results: [{ outcome: 'encrypted' }] };
  const runChunk = vi.fn(async (_message: EncryptChunk) => committed);
  const deps: EnforceEventDeps = {
    s3: s3.client,
    kms: decryptingKms('ok').client,
    config: { useUpdateObjectEncryption: false },
    policies: { forBucket: async () => [watch] },
    watchRuns: { record: async (run) => void recorded.push(run.runId) },
    largeObjects:
      options.largeBytes === undefined
        ? undefined
        : {
            serves: false,
            thresholdBytes: options.largeBytes,
            queueUrl: 'https://sqs/large',
            sqs: {
              send: async (command: { input: { QueueUrl: string; MessageBody: string } }) =>
                void sentToLarge.push(command.input.MessageBody),
            } as unknown as SQSClient,
          },
    runChunk,
    now: () => NOW,
  };
  return { deps, s3, runChunk, sentToLarge, recorded };
}

describe('enforceEvent', () => {
  it('acknowledges an object already compliant with nothing recorded: no chunk, no run', async () => {
    const t = setup({ k: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY } });
    expect(await enforceEvent(created('k'), t.deps)).toEqual({
      kind: 'compliant',
      detail: 'aws:kms under the policy key',
    });
    expect(t.s3.sent).toEqual(['HeadObjectCommand']);
    expect(t.runChunk).not.toHaveBeenCalled();
    expect(t.recorded).toEqual([]);
  });

  it('runs an upload that needs a write as its one-intent chunk of the watch run', async () => {
    const t = setup({ k: {} });
    const outcome = await enforceEvent(created('k'), t.deps);
    expect(outcome).toMatchObject({
      kind: 'chunk',
      message: { type: 'encrypt-chunk', runId: 'watch-b-1-2026-12-06', intents: [{ key: 'k' }] },
      outcome: { state: 'committed', results: [{ outcome: 'encrypted' }] },
    });
    expect(t.runChunk).toHaveBeenCalledTimes(1);
    expect(t.runChunk.mock.calls[0]![0]).not.toHaveProperty('large');
    expect(t.recorded).toEqual(['watch-b-1-2026-12-06']);
  });

  it('runs a deleted object’s chunk too: the skip is a decision to record', async () => {
    const t = setup({});
    expect((await enforceEvent(created('gone'), t.deps)).kind).toBe('chunk');
    expect(t.runChunk).toHaveBeenCalledTimes(1);
  });

  it('hands a large object’s chunk to the large-object queue, unclaimed, by the size S3 shows now', async () => {
    // The event said 5 bytes; the object the HEAD sees is larger than one invocation can move.
    const t = setup({ big: { ContentLength: 2000 } }, { largeBytes: 1000 });
    const outcome = await enforceEvent(created('big', 5), t.deps);
    expect(outcome.kind).toBe('large');
    expect(t.runChunk).not.toHaveBeenCalled();
    expect(t.sentToLarge).toHaveLength(1);
    const sent = JSON.parse(t.sentToLarge[0]!);
    expect(sent).toMatchObject({ type: 'encrypt-chunk', large: true, intents: [{ key: 'big', size: 5 }] });
    expect(sent.chunkId).toBe(outcome.kind === 'large' && outcome.message.chunkId);
    expect(t.recorded).toEqual(['watch-b-1-2026-12-06']);
  });

  it('keeps a large object here when its protection moves no bytes, or it needs no write', async () => {
    const t = setup(
      {
        big: {
          ContentLength: 2000,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: 'arn:aws:kms:us-east-1:1:key/o',
        },
      },
      { largeBytes: 1000 },
    );
    const leave = {
      ...t.deps,
      policies: { forBucket: async () => [{ ...watch, otherKmsKeys: 'leave' as const }] },
    };
    expect((await enforceEvent(created('big'), leave)).kind).toBe('chunk');
    expect(t.sentToLarge).toEqual([]);
  });

  it('refuses an event of an unwatched bucket as malformed before any request', async () => {
    const t = setup({ k: {} });
    const none = { ...t.deps, policies: { forBucket: async () => [] } };
    await expect(enforceEvent(created('k'), none)).rejects.toBeInstanceOf(MalformedMessageError);
    expect(t.s3.sent).toEqual([]);
  });

  it('passes the runner’s errors on, so the message comes back', async () => {
    const t = setup({ k: {} });
    t.runChunk.mockRejectedValueOnce(new Error('lease held'));
    await expect(enforceEvent(created('k'), t.deps)).rejects.toThrow('lease held');
  });
});
