import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { RewrapChunk } from '../../../../shared/chunks/chunk-message.js';
import { type ChunkIntent, chunkIdFor } from '../../../../shared/chunks/chunk-message.js';
import { queueRewrapChunks } from '../../../../shared/rewrap/rewrap-chunks.js';

const A = 'arn:aws:kms:eu-west-1:1:key/aaaa';
const B = 'arn:aws:kms:eu-west-1:1:key/bbbb';

function setup(stored?: ChunkIntent[]) {
  const sent: Array<{ queue: string; messages: RewrapChunk[] }> = [];
  const fixed: Array<{ origin: string; intents: ChunkIntent[] }> = [];
  const sqs = {
    send: async (command: SendMessageBatchCommand) => {
      expect(command).toBeInstanceOf(SendMessageBatchCommand);
      const entries = command.input.Entries!;
      expect(entries.length).toBeLessThanOrEqual(10);
      sent.push({ queue: command.input.QueueUrl!, messages: entries.map((e) => JSON.parse(e.MessageBody!)) });
      return { Failed: [] };
    },
  } as unknown as SQSClient;
  const deps = {
    s3: {} as S3Client,
    sqs,
    location: { bucket: 'audit', prefix: '' },
    queues: { encrypt: 'encrypt-q', rewrap: 'rewrap-q', large: 'large-q' },
    largeObjectBytes: 1000,
    fixMembership: async (
      _s3: S3Client,
      _l: unknown,
      _run: string,
      origin: string,
      intents: ChunkIntent[],
    ) => {
      fixed.push({ origin, intents });
      return stored ?? intents;
    },
  };
  return { deps, sent, fixed };
}

const intents = (n: number, size = 10): ChunkIntent[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, size }));

describe('queueRewrapChunks', () => {
  it('fixes the membership, then queues chunks of at most 100 intents with ids from the origin', async () => {
    const { deps, sent, fixed } = setup();
    const run = {
      runId: 'r1',
      bucket: 'bkt',
      fromKeyArn: A,
      toKeyArn: B,
      wrappedBefore: '2026-01-01T00:00:00.000Z',
    };
    expect(await queueRewrapChunks(deps, run, 'manifest:m:1:bkt', intents(250))).toBe(250);
    expect(fixed.map((f) => f.origin)).toEqual(['manifest:m:1:bkt']);
    const messages = sent.flatMap((s) => s.messages);
    expect(messages.map((m) => m.intents.length)).toEqual([100, 100, 50]);
    expect(messages[2]).toMatchObject({
      type: 'rewrap-chunk',
      runId: 'r1',
      bucket: 'bkt',
      fromKeyArn: A,
      toKeyArn: B,
      wrappedBefore: '2026-01-01T00:00:00.000Z',
      origin: 'manifest:m:1:bkt:2',
      chunkId: chunkIdFor('r1', 'manifest:m:1:bkt:2'),
    });
    expect(new Set(sent.map((s) => s.queue))).toEqual(new Set(['rewrap-q']));
  });

  it('queues the stored membership of a redelivered origin, not the one it was given', async () => {
    const { deps, sent } = setup([{ key: 'stored' }]);
    const run = { runId: 'r1', bucket: 'bkt', fromKeyArn: A, toKeyArn: B };
    expect(await queueRewrapChunks(deps, run, 'scan:bkt:1', intents(5))).toBe(1);
    expect(sent.flatMap((s) => s.messages.map((m) => m.intents))).toEqual([[{ key: 'stored' }]]);
  });

  it('sends each large object alone, marked, to the large-object queue', async () => {
    const { deps, sent } = setup();
    const run = { runId: 'r1', bucket: 'bkt', fromKeyArn: A, toKeyArn: B };
    await queueRewrapChunks(deps, run, 'o', [
      ...intents(2),
      { key: 'big1', size: 1001 },
      { key: 'big2', size: 5000 },
    ]);
    const large = sent.filter((s) => s.queue === 'large-q').flatMap((s) => s.messages);
    expect(large.map((m) => [m.intents.map((i) => i.key), m.large, m.origin])).toEqual([
      [['big1'], true, 'o:large:2'],
      [['big2'], true, 'o:large:3'],
    ]);
    expect(
      sent.filter((s) => s.queue === 'rewrap-q').flatMap((s) => s.messages.map((m) => m.origin)),
    ).toEqual(['o:0']);
  });

  it('queues nothing and fixes nothing for an empty origin', async () => {
    const { deps, sent, fixed } = setup();
    expect(
      await queueRewrapChunks(deps, { runId: 'r', bucket: 'b', fromKeyArn: A, toKeyArn: B }, 'o', []),
    ).toBe(0);
    expect([sent, fixed]).toEqual([[], []]);
  });
});
