import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteObjectCommand,
  GetBucketNotificationConfigurationCommand,
  ListObjectVersionsCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPollers } from '../../cli/pollers.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { watchRunId } from '../../shared/events/event-chunk.js';
import { headObject } from '../../shared/s3/object-head.js';
import { ERROR_ATTRIBUTE } from '../../shared/worker/dead-letters.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { createKmsKey, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { objectCreatedBody } from '../helpers/s3-events.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
let worker: AbortController;
let workerDone: Promise<void>;
/** Every S3 write the in-process worker sends, by command name. */
const writes: string[] = [];

const KEYS = [
  'plain.txt',
  'with space.txt',
  'plus+sign.txt',
  'ünïcödé/日本語.txt',
  'deep/a/b/c/d.txt',
  'q?uery&x=1.txt',
];

async function newBucket(label: string): Promise<string> {
  const bucket = uniqueBucket(label);
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // Objects land unencrypted, as before S3's 2023 default encryption.
  await pipeline.clients.s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
  return bucket;
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ['bin/s3-seal.js', ...args], { encoding: 'utf8', env: process.env });
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until the events queue has had nothing visible or in flight for two looks a second apart. */
async function eventsDrained(timeoutMs = 30_000): Promise<void> {
  let quiet = 0;
  await eventually(
    async () => {
      const { Attributes } = await pipeline.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: pipeline.queues.events,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const depth =
        Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      quiet = depth === 0 ? quiet + 1 : 0;
      if (quiet < 2) await new Promise((resolve) => setTimeout(resolve, 1000));
      return quiet >= 2 ? true : undefined;
    },
    'the events queue to drain',
    timeoutMs,
  );
}

async function protectedAs(s3: S3Client, bucket: string, key: string, mode: 'envelope' | 'sse-kms') {
  const head = await headObject(s3, bucket, key);
  if (!head) return false;
  return mode === 'envelope' ? envelopeFormatOf(head.metadata) !== undefined : head.kmsKeyArn === keyArn;
}

beforeAll(async () => {
  pipeline = await startPipeline('live');
  keyArn = await createKmsKey(pipeline.clients.kms);
  pipeline.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (
        /^(PutObject|CopyObject|CompleteMultipartUpload|UpdateObjectEncryption)/.test(
          String(context.commandName),
        )
      ) {
        writes.push(String(context.commandName));
      }
      return next(args);
    },
    { step: 'initialize', name: 'countWorkerWrites' },
  );
  worker = new AbortController();
  workerDone = startPollers({
    sqs: pipeline.clients.sqs,
    queues: pipeline.queues,
    concurrency: 2,
    signal: worker.signal,
    visibilitySeconds: 10,
  });
});

afterAll(async () => {
  worker.abort();
  await workerDone;
});

describe.each(['envelope', 'sse-kms'] as const)('watching a bucket in %s mode', (mode) => {
  let bucket: string;
  let otherQueueArn: string;
  const user = () => pipeline.clients.s3;

  beforeAll(async () => {
    bucket = await newBucket(`live-${mode}`);
    // A notification the bucket already had, which --watch and --unwatch must leave alone.
    const other = await pipeline.clients.sqs.send(new CreateQueueCommand({ QueueName: `${bucket}-other` }));
    otherQueueArn = (
      await pipeline.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: other.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes!.QueueArn!;
    await user().send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [{ Id: 'users-own', QueueArn: otherQueueArn, Events: ['s3:ObjectRemoved:*'] }],
        },
      }),
    );
    // The event path itself is under test: without bucket default encryption (which setup sets in
    // sse-kms mode, write-time-controls.test.ts) every plain upload needs the pipeline.
    const watched = cli([
      'setup',
      '--watch',
      `s3://${bucket}`,
      '--mode',
      mode,
      '--key',
      keyArn,
      ...(mode === 'sse-kms' ? ['--no-default-encryption'] : []),
    ]);
    expect(watched.status, watched.stderr).toBe(0);
  });

  it('encrypts objects put with plain PutObject within seconds, keys of every shape, bytes intact', async () => {
    for (const key of KEYS)
      await user().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${key}` }));
    for (const key of KEYS) {
      await eventually(async () => ((await protectedAs(user(), bucket, key, mode)) ? true : undefined), key);
      expect((await readPlaintext(pipeline.clients, bucket, key)).toString(), key).toBe(`bytes of ${key}`);
    }
  });

  it('never rewrites, nor records, an object that arrives already compliant', async () => {
    const put =
      mode === 'sse-kms'
        ? await user().send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: 'arrived-compliant',
              Body: 'x',
              ServerSideEncryption: 'aws:kms',
              SSEKMSKeyId: keyArn,
            }),
          )
        : await putEnvelopeObject(
            { s3: user(), kms: pipeline.clients.kms },
            { bucket, key: 'arrived-compliant', body: Buffer.from('x'), keyArn, format: 'v3' },
          );
    // A plain upload after it, whose protection shows the events of that moment were handled.
    await user().send(new PutObjectCommand({ Bucket: bucket, Key: 'after-compliant', Body: 'y' }));
    await eventually(
      async () => ((await protectedAs(user(), bucket, 'after-compliant', mode)) ? true : undefined),
      'the upload after it',
    );
    await eventsDrained();
    // Its event was acknowledged after one HEAD: no chunk, no record, nothing counted.
    const runId = watchRunId(bucket, new Date());
    expect((await headObject(user(), bucket, 'arrived-compliant'))?.etag).toBe(put.ETag);
    const records = await pipeline.trail.records(runId);
    expect(records.map((r) => r.key).sort()).toEqual([...KEYS, 'after-compliant'].sort());
    expect((await pipeline.runs.get(runId))?.counts).toMatchObject({
      encrypted: KEYS.length + 1,
      compliant: 0,
    });
  });

  it('settles: no further writes once every object is protected (no event loop)', async () => {
    const etags = new Map<string, string>();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const key of KEYS) etags.set(key, (await headObject(user(), bucket, key))!.etag);
    const before = writes.length;
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(writes.length).toBe(before);
    for (const key of KEYS) expect((await headObject(user(), bucket, key))!.etag, key).toBe(etags.get(key));
  });

  it('keeps the bucket’s own notification through --watch and --unwatch, removing only ours', async () => {
    const during = await user().send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(during.QueueConfigurations?.map((q) => q.Id).sort()).toEqual([
      expect.stringMatching(/^s3-seal-/),
      'users-own',
    ]);
    const unwatched = cli(['setup', '--unwatch', `s3://${bucket}`]);
    expect(unwatched.status, unwatched.stderr).toBe(0);
    const after = await user().send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(after.QueueConfigurations).toEqual([
      expect.objectContaining({ Id: 'users-own', QueueArn: otherQueueArn, Events: ['s3:ObjectRemoved:*'] }),
    ]);
  });
});

describe('the events queue', () => {
  it('drops test events, dead-letters garbage with a reason, and skips a deleted object, in one batch', async () => {
    const bucket = await newBucket('live-mixed');
    expect(
      cli(['setup', '--watch', `s3://${bucket}`, '--mode', 'sse-s3', '--no-default-encryption']).status,
    ).toBe(0);
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'gone', Body: 'soon deleted' }),
    );
    await pipeline.clients.s3
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: 'vanished' }))
      .catch(() => undefined);
    const record = (key: string) => objectCreatedBody({ bucket, key, eTag: 'abc' });
    const send = (body: string) =>
      pipeline.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: pipeline.queues.events, MessageBody: body }),
      );
    await send(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: bucket }));
    await send('{ this is not json');
    await send(record('vanished'));
    await send(record('good+one'));
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'good one', Body: 'ok' }));

    // The DLQ looked up by its own name, not through the code under test.
    const dlqUrl = (
      await pipeline.clients.sqs.send(
        new GetQueueUrlCommand({ QueueName: `${process.env.S3SEAL_QUEUE_PREFIX}-events-dlq` }),
      )
    ).QueueUrl!;
    const receiveDead = async () =>
      (
        await pipeline.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MessageAttributeNames: ['All'],
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            VisibilityTimeout: 30,
          }),
        )
      ).Messages ?? [];
    const garbage = await eventually(
      async () => (await receiveDead()).find((m) => m.Body === '{ this is not json'),
      'the dead-lettered garbage',
    );
    // Dead-lettered once: it must not have gone round the work queue and come back.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await receiveDead()).filter((m) => m.Body === '{ this is not json')).toEqual([]);
    expect(garbage.MessageAttributes?.[ERROR_ATTRIBUTE]?.StringValue).toContain('not JSON');
    const runId = watchRunId(bucket, new Date());
    const skipped = await eventually(
      async () => (await pipeline.trail.records(runId)).find((r) => r.key === 'vanished'),
      'the deleted object to be skipped',
    );
    expect(skipped).toMatchObject({ decision: 'skipped', reason: 'missing' });
    await eventually(
      async () =>
        (await headObject(pipeline.clients.s3, bucket, 'good one'))?.serverSideEncryption === 'AES256'
          ? true
          : undefined,
      'the good object',
    );
  });
});

describe('a worker killed mid-batch', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  /**
   * A worker process, and when it is ready: it says `worker: serving` only after its SIGTERM handler
   * is installed, so a SIGTERM sent earlier would kill it by default, not stop it gracefully.
   */
  function startWorker(extra: string[] = []) {
    const child = spawn(
      process.execPath,
      ['bin/s3-seal.js', 'worker', '--visibility-seconds', '4', ...extra],
      {
        env: { ...process.env, S3SEAL_LEASE_SECONDS: '6' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    const ready = new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        if (chunk.toString().includes('worker: serving')) resolve();
      });
    });
    return Object.assign(child, { ready });
  }

  it('loses nothing: after a restart every object ends encrypted exactly once', async () => {
    // The in-process worker steps aside so the subprocess is the only consumer.
    worker.abort();
    await workerDone;
    const bucket = await newBucket('live-kill');
    await pipeline.clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    expect(cli(['setup', '--watch', `s3://${bucket}`, '--mode', 'envelope', '--key', keyArn]).status).toBe(0);
    const keys = Array.from({ length: 60 }, (_, i) => `k/${String(i).padStart(3, '0')}`);
    const first = startWorker();
    await Promise.all(
      keys.map((key) =>
        pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `v1 ${key}` })),
      ),
    );
    // Kill it as soon as it has protected a few: the rest of its batches die in flight.
    await eventually(async () => {
      let done = 0;
      for (const key of keys.slice(0, 20))
        if (await protectedAs(pipeline.clients.s3, bucket, key, 'envelope')) done++;
      return done >= 3 ? done : undefined;
    }, 'some progress before the kill');
    first.kill('SIGKILL');

    const second = startWorker();
    await eventually(
      async () => {
        for (const key of keys)
          if (!(await protectedAs(pipeline.clients.s3, bucket, key, 'envelope'))) return undefined;
        return true;
      },
      'every object protected after the restart',
      120_000,
    );
    // Graceful shutdown: SIGTERM lets in-flight batches finish, then the worker exits 0. Every
    // object may be protected before the restarted worker is up (the first one finished them):
    // wait until it is serving, so the signal meets its handler.
    await second.ready;
    const exit = new Promise<number | null>((resolve) => second.on('exit', resolve));
    second.kill('SIGTERM');
    expect(await exit).toBe(0);
    for (const key of keys) {
      expect((await readPlaintext(pipeline.clients, bucket, key)).toString(), key).toBe(`v1 ${key}`);
    }
    // Exactly once: each key has its original version and one encrypted version, never a third.
    const versions = await pipeline.clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const perKey = new Map<string, number>();
    for (const v of versions.Versions ?? []) perKey.set(v.Key!, (perKey.get(v.Key!) ?? 0) + 1);
    for (const key of keys) expect(perKey.get(key), key).toBe(2);
  });
});
