import type { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import {
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
  type: 'encrypt' as const,
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
    return JSON.parse(command.input.MessageBody!) as ReturnType<typeof job> & { large?: true };
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
  it('hands a marked job, or one whose message says it is large, to the queue before any HEAD', async () => {
    expect(await routeLargeObject({ ...job('a', 1), large: true }, route())).toMatchObject({
      outcome: 'duplicate',
    });
    expect(await routeLargeObject(job('b', 101), route())).toMatchObject({ outcome: 'duplicate' });
    expect(sentJobs().map((j) => [j.key, j.large])).toEqual([
      ['a', true],
      ['b', true],
    ]);
  });

  it('hands a job over when HEAD shows the object large, with the size and ETag it saw', async () => {
    expect(await routeLargeObject(job('a', 5), route(), head(5000))).toBeDefined();
    expect(sentJobs()).toEqual([{ ...job('a', 5000), etag: '"e2"', large: true }]);
  });

  it('keeps small objects, and UpdateObjectEncryption (no bytes move) of any size', async () => {
    expect(await routeLargeObject(job('a'), route())).toBeUndefined();
    expect(await routeLargeObject(job('a'), route(), head(100), true)).toBeUndefined();
    expect(await routeLargeObject(job('a'), route(), head(5000), false)).toBeUndefined();
    expect(sentJobs()).toEqual([]);
  });

  it('never hands off in the worker that serves the large-object queue, nor without a role', async () => {
    expect(await routeLargeObject({ ...job('a', 5000), large: true }, { serves: true })).toBeUndefined();
    expect(await routeLargeObject(job('a', 5000), undefined, head(5000))).toBeUndefined();
    expect(sentJobs()).toEqual([]);
  });

  it('fails the record when the queue refuses the job: nothing is acknowledged unsent', async () => {
    refuse = new Error('throttled');
    await expect(routeLargeObject(job('a', 5000), route())).rejects.toThrow('throttled');
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

describe('routeLargeObject with a rewrap job', () => {
  const rewrap = {
    type: 'rewrap' as const,
    runId: 'run-2',
    jobId: 'job-r',
    bucket: 'bucket-a',
    key: 'r',
    fromKeyArn: 'arn:aws:kms:us-east-1:000000000000:key/a',
    toKeyArn: 'arn:aws:kms:us-east-1:000000000000:key/b',
  };

  it('sends the rewrap job itself, marked, with what the HEAD saw', async () => {
    expect(await routeLargeObject(rewrap, route(), head(5000))).toMatchObject({ outcome: 'duplicate' });
    expect(sent.map((command) => JSON.parse(command.input.MessageBody!))).toEqual([
      { ...rewrap, size: 5000, etag: '"e2"', large: true },
    ]);
  });

  it('hands a marked rewrap job back before any HEAD', async () => {
    expect(await routeLargeObject({ ...rewrap, large: true }, route())).toBeDefined();
    expect(await routeLargeObject(rewrap, route())).toBeUndefined();
    expect(sent).toHaveLength(1);
  });
});
