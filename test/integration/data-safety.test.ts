import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEncryptHandler } from '../../functions/encrypt/handler.js';
import type { ChunkStore } from '../../shared/chunks/chunk-store.js';
import { InjectedCrashError } from '../../shared/errors.js';
import { Faults } from '../../shared/faults.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import type { ProtectionMode } from '../../shared/policy.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { encryptOne, oneObjectChunk } from '../helpers/one-object.js';
import {
  createKmsKey,
  describeObject,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('safety');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

async function seededObject(label: string, bytes = 'original bytes of the object') {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  const key = 'folder/the object.txt';
  await pipeline.clients.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: bytes,
      Metadata: { owner: 'alice' },
      Tagging: 'team=a',
    }),
  );
  const { etag } = await describeObject(pipeline.clients.s3, bucket, key);
  return { bucket, key, etag, bytes: Buffer.from(bytes) };
}

function jobFor(
  object: { bucket: string; key: string; etag: string },
  mode: ProtectionMode,
  runId = newRunId(),
): EncryptJob {
  return {
    runId,
    jobId: `job-${object.key}-${runId}`,
    bucket: object.bucket,
    key: object.key,
    etag: object.etag,
    mode,
    keyArn: mode === 'sse-s3' ? undefined : keyArn,
  };
}

/**
 * Every S3 write request the client sends to `bucket`, by command name: proves what did (not)
 * happen to the data. Writes to the audit bucket (the chunk log) are not the object's.
 */
function countWrites(s3: S3Client, bucket: string) {
  const writes: string[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const target = (args.input as { Bucket?: string }).Bucket;
      if (
        target === bucket &&
        /^(PutObject|CopyObject|CompleteMultipartUpload|UploadPart|UpdateObjectEncryption)/.test(name)
      )
        writes.push(name);
      return next(args);
    },
    { step: 'initialize', name: `countWrites-${Math.random()}` },
  );
  return writes;
}

/** Deps whose clock is past every lease: a redelivery after a crashed attempt's lease ran out. */
function afterTheLease(overrides: Parameters<Pipeline['encryptDeps']>[0] = {}) {
  const later = new Date(Date.now() + (pipeline.config.leaseSeconds + 60) * 1000);
  return pipeline.encryptDeps({ now: () => later, ...overrides });
}

/** The one chunk item of a one-object run. */
async function chunkOf(runId: string) {
  const items = await pipeline.trail.chunksOf(runId);
  expect(items).toHaveLength(1);
  return items[0]!;
}

describe.each<ProtectionMode>(['envelope', 'sse-kms'])('in %s mode', (mode) => {
  it('lets a user write made between our read and our write win, and records SUPERSEDED', async () => {
    const object = await seededObject(`sup-${mode}`);
    const newer = `the user's newer bytes ${Date.now()}`;
    const { s3 } = pipeline.clients;
    // Just before our conditional write leaves, a user overwrites the object through another path.
    const raced = pipeline.newS3Client();
    let wroteUserObject = false;
    raced.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName);
        const target = (args.input as { Bucket?: string }).Bucket;
        if (
          !wroteUserObject &&
          target === object.bucket &&
          (name === 'PutObjectCommand' || name === 'CopyObjectCommand')
        ) {
          wroteUserObject = true;
          await s3.send(new PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: newer }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'userRace' },
    );
    const job = jobFor(object, mode);
    const result = await encryptOne(job, pipeline.encryptDeps({ s3: raced }));
    expect(wroteUserObject).toBe(true);
    expect(result.outcome).toBe('superseded');
    expect((await readPlaintext(pipeline.clients, object.bucket, object.key)).toString()).toBe(newer);
    expect(await pipeline.trail.decisionOf(job.runId, object.bucket, object.key)).toMatchObject({
      decision: 'superseded',
      etagBefore: object.etag,
    });
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'DONE', attempt: 1, records: 1 });
    expect((await pipeline.runs.get(job.runId))?.counts).toMatchObject({ superseded: 1, encrypted: 0 });
  });

  it('reconciles a crash between the S3 write and the commit without writing again', async () => {
    const object = await seededObject(`crash-${mode}`);
    const job = jobFor(object, mode);
    const crashing = pipeline.encryptDeps({ faults: new Faults({ 'after-s3-write': 1 }) });
    await expect(encryptOne(job, crashing)).rejects.toBeInstanceOf(InjectedCrashError);
    const afterCrash = await describeObject(pipeline.clients.s3, object.bucket, object.key);
    // The write landed before the crash (an envelope rewrite changes the ETag; SSE copies may not).
    expect(mode === 'envelope' ? afterCrash.metadata['x-amz-3'] : afterCrash.kmsKeyArn).toBeTruthy();
    // As after a kill: the claim stays with its lease, nothing is logged or counted.
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'IN_PROGRESS', attempt: 1 });
    expect(await pipeline.trail.records(job.runId)).toEqual([]);
    expect((await pipeline.runs.get(job.runId))?.counts.encrypted ?? 0).toBe(0);

    // A redelivery before the lease runs out leaves the chunk to its holder and writes nothing.
    const early = pipeline.newS3Client();
    const earlyWrites = countWrites(early, object.bucket);
    await expect(encryptOne(job, pipeline.encryptDeps({ s3: early }))).rejects.toThrow(/in progress/);
    expect(earlyWrites).toEqual([]);

    // The redelivery after the lease: same chunk, no faults, its own S3 client so we can count its writes.
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3, object.bucket);
    const retried = await encryptOne(job, afterTheLease({ s3 }));
    expect(retried).toMatchObject({ outcome: 'encrypted', detail: 'reconciled after a crash' });
    expect(writes).toEqual([]);
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(afterCrash.etag);
    expect(await pipeline.trail.decisionOf(job.runId, object.bucket, object.key)).toMatchObject({
      decision: 'encrypted',
      reconciled: true,
      etagAfter: afterCrash.etag,
      keyArn,
    });
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'DONE', attempt: 2, records: 1 });
    expect((await pipeline.runs.get(job.runId))?.counts.encrypted).toBe(1);
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });

  it('reconciles a write that landed before a passing error gave the chunk back, without writing again', async () => {
    const object = await seededObject(`lost-reply-${mode}`);
    const job = jobFor(object, mode);
    // The write lands at S3, but its reply is lost (a timeout, a reset): the attempt gives the chunk back.
    const lossy = pipeline.newS3Client();
    lossy.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        const target = (args.input as { Bucket?: string }).Bucket;
        if (target === object.bucket && /^(PutObject|CopyObject)Command$/.test(String(context.commandName))) {
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
        return out;
      },
      { step: 'initialize', name: 'loseReply' },
    );
    await expect(encryptOne(job, pipeline.encryptDeps({ s3: lossy }))).rejects.toThrow('socket hang up');
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'RETRY', attempt: 1 });
    expect(await pipeline.trail.records(job.runId)).toEqual([]);
    const landed = await describeObject(pipeline.clients.s3, object.bucket, object.key);
    expect(mode === 'envelope' ? landed.metadata['x-amz-3'] : landed.kmsKeyArn).toBeTruthy();

    // The redelivery claims at once (no lease to wait out) and finds the write.
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3, object.bucket);
    const retried = await encryptOne(job, pipeline.encryptDeps({ s3 }));
    // Counted as the encryption it was, under its key (the key's manifest names it for rotations).
    expect(retried).toMatchObject({ outcome: 'encrypted', detail: 'reconciled after a crash' });
    expect(writes).toEqual([]);
    expect(await pipeline.trail.decisionOf(job.runId, object.bucket, object.key)).toMatchObject({
      decision: 'encrypted',
      reconciled: true,
      etagAfter: landed.etag,
      keyArn,
    });
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'DONE', attempt: 2, keyArns: [keyArn] });
    expect((await pipeline.runs.get(job.runId))?.counts.encrypted).toBe(1);
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });

  it('processes duplicate deliveries of one chunk once, even within one batch', async () => {
    const object = await seededObject(`dup-${mode}`);
    const job = jobFor(object, mode);
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3, object.bucket);
    const run = await pipeline.runs.create({
      runId: job.runId,
      bucket: object.bucket,
      prefix: '',
      mode,
      keyArn,
      startedAt: new Date().toISOString(),
    });
    const handler = createEncryptHandler(() => ({ ...pipeline.encryptDeps({ s3 }), runs: pipeline.runs }));
    const body = JSON.stringify(oneObjectChunk(job));
    const event = (ids: string[]): SQSEvent => ({
      Records: ids.map((id) => ({ messageId: id, receiptHandle: id, body }) as never),
    });
    // Three deliveries at once: one claims the chunk; the two that find its lease live are handed
    // back for a later retry (acknowledging them would lose the chunk if the claimant had crashed).
    const first = await handler(event(['a', 'b', 'c']), {} as never);
    expect(first.batchItemFailures).toHaveLength(2);
    // Their retries, and a late fourth delivery, find the chunk done and are acknowledged.
    const again = await handler(
      event(first.batchItemFailures.map((f) => f.itemIdentifier).concat('d')),
      {} as never,
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(writes.filter((w) => w !== 'UploadPartCommand')).toHaveLength(1);
    expect(await chunkOf(run.runId)).toMatchObject({ state: 'DONE', attempt: 1, records: 1 });
    expect(await pipeline.trail.records(run.runId)).toEqual([
      expect.objectContaining({ key: object.key, decision: 'encrypted' }),
    ]);
    expect((await pipeline.runs.get(run.runId))?.counts.encrypted).toBe(1);
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });
});

describe('audit records that a crash interrupted', () => {
  it('a decision whose commit died after its log is audited by the redelivery, once', async () => {
    const object = await seededObject('audit-crash');
    const sealed = await encryptOne(jobFor(object, 'envelope'), pipeline.encryptDeps());
    expect(sealed.outcome).toBe('encrypted');
    const now = await describeObject(pipeline.clients.s3, object.bucket, object.key);
    const job = jobFor({ ...object, etag: now.etag }, 'sse-kms');
    // The attempt decides and writes its chunk log, then dies before the commit that counts it.
    const store = pipeline.chunks;
    const dying: ChunkStore = {
      get: (ref) => store.get(ref),
      getMany: (refs) => store.getMany(refs),
      claim: (input, at) => store.claim(input, at),
      renew: (ref, owner, seconds, at) => store.renew(ref, owner, seconds, at),
      commit: async () => Promise.reject(new InjectedCrashError('before the commit')),
      giveBack: (ref, owner, error, at) => store.giveBack(ref, owner, error, at),
      listRun: (runId) => store.listRun(runId),
    };
    await expect(encryptOne(job, pipeline.encryptDeps({ chunks: dying }))).rejects.toBeInstanceOf(
      InjectedCrashError,
    );
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'IN_PROGRESS', attempt: 1 });
    // Its log is there but uncommitted: not the run's record.
    expect(await recordsOfRun(pipeline, job.runId)).toEqual([]);

    // The envelope is compliant in sse-kms mode, and no write of an sse-kms run: never reconciled.
    expect(await encryptOne(job, afterTheLease())).toMatchObject({ outcome: 'compliant' });
    expect((await encryptOne(job, afterTheLease())).outcome).toBe('duplicate');
    expect((await encryptOne(job, pipeline.encryptDeps())).outcome).toBe('duplicate');
    const records = await recordsOfRun(pipeline, job.runId);
    expect(records.map((r) => [r.key, r.decision, r.reconciled])).toEqual([
      [object.key, 'compliant', undefined],
    ]);
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'DONE', attempt: 2, records: 1 });
    expect((await pipeline.runs.get(job.runId))?.counts).toMatchObject({ compliant: 1, encrypted: 0 });
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(now.etag);
  });
});

describe('never encrypting twice', () => {
  it('never re-encrypts an envelope object under any mode or key, leaving its bytes alone', async () => {
    const object = await seededObject('twice');
    expect((await encryptOne(jobFor(object, 'envelope'), pipeline.encryptDeps())).outcome).toBe('encrypted');
    const sealed = await describeObject(pipeline.clients.s3, object.bucket, object.key);
    const otherKey = await createKmsKey(pipeline.clients.kms);
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3, object.bucket);
    for (const mode of ['envelope', 'sse-kms', 'sse-s3'] as const) {
      const job = {
        ...jobFor({ ...object, etag: sealed.etag }, mode),
        keyArn: mode === 'sse-s3' ? undefined : otherKey,
      };
      const result = await encryptOne(job, pipeline.encryptDeps({ s3 }));
      const record = await pipeline.trail.decisionOf(job.runId, object.bucket, object.key);
      // Envelope mode under another key: not compliant, and not ours to rewrap here: skipped.
      if (mode === 'envelope') {
        expect(result, mode).toMatchObject({ outcome: 'skipped', reason: 'wrapped-under-another-key' });
        expect(record, mode).toMatchObject({ decision: 'skipped', reason: 'wrapped-under-another-key' });
      } else {
        expect(result.outcome, mode).toBe('compliant');
        expect(record?.decision, mode).toBe('compliant');
      }
    }
    expect(writes).toEqual([]);
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(sealed.etag);
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });
});

describe('what a recovering attempt takes for its own write', () => {
  it('not an application’s envelope written after the chunk’s claim, in sse-kms mode', async () => {
    const object = await seededObject('foreign-after-claim');
    const job = jobFor(object, 'sse-kms');
    // The first attempt claims the chunk and dies before it writes anything.
    const dying = pipeline.encryptDeps({ faults: new Faults({ 'after-claim': 1 }) });
    await expect(encryptOne(job, dying)).rejects.toBeInstanceOf(InjectedCrashError);
    // Meanwhile an application replaces the object with its own S3EC envelope under its own key.
    const appKey = await createKmsKey(pipeline.clients.kms);
    const put = await putEnvelopeObject(pipeline.clients, {
      bucket: object.bucket,
      key: object.key,
      body: Buffer.from('the application’s bytes'),
      keyArn: appKey,
      format: 'v3',
    });
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3, object.bucket);
    const retried = await encryptOne(job, afterTheLease({ s3 }));
    // Compliant (never encrypted twice), and not counted as this run's encryption under its key.
    expect(retried.outcome).toBe('compliant');
    expect(writes).toEqual([]);
    const record = await pipeline.trail.decisionOf(job.runId, object.bucket, object.key);
    expect(record).toMatchObject({ decision: 'compliant', etagBefore: put.ETag });
    expect(record?.reconciled).toBeUndefined();
    expect(record?.keyArn).not.toBe(keyArn);
    expect((await pipeline.runs.get(job.runId))?.counts).toMatchObject({ compliant: 1, encrypted: 0 });
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(put.ETag);
  });
});

describe('objects the pipeline must not touch', () => {
  it('skips an object deleted before processing, with the reason in its record', async () => {
    const bucket = uniqueBucket('gone');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    const job = jobFor({ bucket, key: 'never/was', etag: '"x"' }, 'envelope');
    expect(await encryptOne(job, pipeline.encryptDeps())).toEqual({
      outcome: 'skipped',
      reason: 'missing',
    });
    expect(await pipeline.trail.decisionOf(job.runId, bucket, 'never/was')).toMatchObject({
      decision: 'skipped',
      reason: 'missing',
    });
    expect((await pipeline.runs.get(job.runId))?.counts.reasons.missing).toBe(1);
  });

  it('skips an object whose S3EC instruction file exists, and the instruction file itself', async () => {
    const object = await seededObject('instr');
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: object.bucket, Key: `${object.key}.instruction`, Body: '{}' }),
    );
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3, object.bucket);
    const mainJob = jobFor(object, 'envelope');
    const main = await encryptOne(mainJob, pipeline.encryptDeps({ s3 }));
    expect(main).toMatchObject({ outcome: 'skipped', reason: 'has-instruction-file' });
    expect(await pipeline.trail.decisionOf(mainJob.runId, object.bucket, object.key)).toMatchObject({
      decision: 'skipped',
      reason: 'has-instruction-file',
    });
    const instructionKey = `${object.key}.instruction`;
    const instructionJob = jobFor({ ...object, key: instructionKey }, 'envelope');
    const instruction = await encryptOne(instructionJob, pipeline.encryptDeps({ s3 }));
    expect(instruction).toMatchObject({ outcome: 'skipped', reason: 's3ec-instruction-file' });
    expect(
      await pipeline.trail.decisionOf(instructionJob.runId, object.bucket, instructionKey),
    ).toMatchObject({
      decision: 'skipped',
      reason: 's3ec-instruction-file',
    });
    expect(writes).toEqual([]);
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });

  it('skips an archived (GLACIER) object without writing it', async () => {
    const bucket = uniqueBucket('glacier');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'cold', Body: 'cold data', StorageClass: 'GLACIER' }),
    );
    const { etag } = await describeObject(pipeline.clients.s3, bucket, 'cold');
    const job = jobFor({ bucket, key: 'cold', etag }, 'sse-kms');
    const result = await encryptOne(job, pipeline.encryptDeps());
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'archived' });
    expect(await pipeline.trail.decisionOf(job.runId, bucket, 'cold')).toMatchObject({
      decision: 'skipped',
      reason: 'archived',
    });
    expect((await describeObject(pipeline.clients.s3, bucket, 'cold')).etag).toBe(etag);
  });
});

describe('the encrypt handler', () => {
  it('fails only the malformed record of a batch; its neighbours succeed', async () => {
    const object = await seededObject('batch');
    const job = jobFor(object, 'sse-s3');
    const handler = createEncryptHandler(() => ({ ...pipeline.encryptDeps(), runs: pipeline.runs }));
    const chunk = oneObjectChunk(job);
    const response = await handler(
      {
        Records: [
          { messageId: 'good', receiptHandle: 'g', body: JSON.stringify(chunk) },
          { messageId: 'not-json', receiptHandle: 'n', body: 'this is not json' },
          {
            messageId: 'no-key',
            receiptHandle: 'k',
            body: JSON.stringify({ ...chunk, mode: 'envelope', keyArn: undefined }),
          },
        ] as never,
      },
      {} as never,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['no-key', 'not-json']);
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).sse).toBe('AES256');
    expect(await pipeline.trail.decisionOf(job.runId, object.bucket, object.key)).toMatchObject({
      decision: 'encrypted',
    });
  });

  it('records a disabled KMS key as FAILED with the reason, leaving the object untouched', async () => {
    const { DisableKeyCommand } = await import('@aws-sdk/client-kms');
    const disabled = await createKmsKey(pipeline.clients.kms);
    await pipeline.clients.kms.send(new DisableKeyCommand({ KeyId: disabled }));
    const object = await seededObject('disabled');
    const job = { ...jobFor(object, 'envelope'), keyArn: disabled };
    const result = await encryptOne(job, pipeline.encryptDeps());
    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/Disabled|disabled/);
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(object.etag);
    // The object's failure, not its chunk's: the chunk committed with the failed record.
    expect(await pipeline.trail.decisionOf(job.runId, object.bucket, object.key)).toMatchObject({
      decision: 'failed',
      error: expect.stringMatching(/Disabled|disabled/),
    });
    expect(await chunkOf(job.runId)).toMatchObject({ state: 'DONE', records: 1 });
    expect(sha256(await readPlaintext(pipeline.clients, object.bucket, object.key))).toBe(
      sha256(object.bytes),
    );
  });
});
