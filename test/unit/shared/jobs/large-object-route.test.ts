import type { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  forwardLargeChunk,
  isLargeObject,
  protectionMovesData,
  routeLargeObject,
  splitLargeJobs,
} from '../../../../shared/jobs/large-object-route.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';

const queueUrl = 'http://sqs.local/000000000000/s3-seal-large';
/** A queue that keeps what it is sent (or refuses it), instead of SQS. */
let sent: SendMessageCommand[] = [];
let refuse: Error | undefined;
const sqs = {
  send: async (command: SendMessageCommand) => {
    if (refuse) throw refuse;
    sent.push(command);
    return {};
  },
} as unknown as SQSClient;
const route = () => ({ serves: false as const, thresholdBytes: 100, sqs, queueUrl });

const job = (key: string, size?: number) => ({
  runId: 'run-1',
  jobId: `job-${key}`,
  bucket: 'bucket-a',
  key,
  mode: 'sse-s3',
  ...(size === undefined ? {} : { size }),
});

const head = (size: number) => ({ bucket: 'bucket-a', key: 'k', etag: '"e2"', size }) as ObjectHead;

const sentJobs = () =>
  sent.map((command) => {
    expect(command.input.QueueUrl).toBe(queueUrl);
    return JSON.parse(command.input.MessageBody!) as unknown;
  });

beforeEach(() => {
  sent = [];
  refuse = undefined;
});

describe('isLargeObject', () => {
  it('is over the threshold, not at it; an unknown size is not large (HEAD decides)', () => {
    expect(isLargeObject(101, 100)).toBe(true);
    expect(isLargeObject(100, 100)).toBe(false);
    expect(isLargeObject(undefined, 100)).toBe(false);
  });
});

describe('splitLargeJobs', () => {
  it('parts objects over the threshold from the rest, in order, as they are', () => {
    const { small, large } = splitLargeJobs([job('a', 10), job('b', 500), job('c'), job('d', 101)], 100);
    expect(small.map((j) => j.key)).toEqual(['a', 'c']);
    expect(large).toEqual([job('b', 500), job('d', 101)]);
  });

  it('routes nothing without a threshold', () => {
    expect(splitLargeJobs([job('b', 500)], undefined).large).toEqual([]);
  });
});

describe('routeLargeObject', () => {
  const chunkOf = (key: string) => ({ type: 'encrypt-chunk', runId: 'run-1', key });

  it('hands an object whose HEAD shows it large, when its write moves bytes, to the queue as its own chunk', async () => {
    expect(await routeLargeObject(route(), head(5000), true, () => chunkOf('a'))).toMatchObject({
      outcome: 'duplicate',
    });
    expect(sentJobs()).toEqual([chunkOf('a')]);
  });

  it('keeps small objects, and UpdateObjectEncryption (no bytes move) of any size', async () => {
    expect(await routeLargeObject(route(), head(100), true, () => chunkOf('a'))).toBeUndefined();
    expect(await routeLargeObject(route(), head(5000), false, () => chunkOf('a'))).toBeUndefined();
    expect(sentJobs()).toEqual([]);
  });

  it('never hands off in the worker that serves the large-object queue, nor without a role', async () => {
    expect(await routeLargeObject({ serves: true }, head(5000), true, () => chunkOf('a'))).toBeUndefined();
    expect(await routeLargeObject(undefined, head(5000), true, () => chunkOf('a'))).toBeUndefined();
    expect(sentJobs()).toEqual([]);
  });

  it('fails the chunk when the queue refuses the object: nothing is acknowledged unsent', async () => {
    refuse = new Error('throttled');
    await expect(routeLargeObject(route(), head(5000), true, () => chunkOf('a'))).rejects.toThrow(
      'throttled',
    );
  });
});

describe('forwardLargeChunk', () => {
  const chunk = (sizes: Array<number | undefined>, large?: true) => ({
    type: 'encrypt-chunk',
    intents: sizes.map((size, i) => ({ key: `k${i}`, ...(size === undefined ? {} : { size }) })),
    ...(large ? { large } : {}),
  });

  it('forwards a chunk marked large, or one holding an object the listing showed large, untouched but marked', async () => {
    expect(await forwardLargeChunk(route(), chunk([1], true))).toBe(true);
    expect(await forwardLargeChunk(route(), chunk([5, 101]))).toBe(true);
    expect(sentJobs()).toEqual([chunk([1], true), { ...chunk([5, 101]), large: true }]);
  });

  it('keeps chunks of small or unknown sizes, and everything in the worker that serves the queue', async () => {
    expect(await forwardLargeChunk(route(), chunk([5, undefined]))).toBe(false);
    expect(await forwardLargeChunk({ serves: true }, chunk([5000], true))).toBe(false);
    expect(await forwardLargeChunk(undefined, chunk([5000], true))).toBe(false);
    expect(sentJobs()).toEqual([]);
  });
});

describe('protectionMovesData', () => {
  it('is false only for UpdateObjectEncryption, which changes the key in place', () => {
    expect(protectionMovesData('update-encryption')).toBe(false);
    for (const method of ['copy-in-place', 'envelope', 'upgrade-format'] as const) {
      expect(protectionMovesData(method)).toBe(true);
    }
  });
});
