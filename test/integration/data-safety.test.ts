import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEncryptHandler } from '../../functions/encrypt/handler.js';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import { InjectedCrashError } from '../../shared/errors.js';
import { Faults } from '../../shared/faults.js';
import { encryptObject } from '../../shared/jobs/encrypt-object.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import type { ProtectionMode } from '../../shared/policy.js';
import { newRunId } from '../../shared/runs/run-store.js';
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
    type: 'encrypt',
    runId,
    jobId: `job-${object.key}-${runId}`,
    bucket: object.bucket,
    key: object.key,
    etag: object.etag,
    mode,
    keyArn: mode === 'sse-s3' ? undefined : keyArn,
  };
}

/** Every S3 write request the client sends, by command name: proves what did (not) happen. */
function countWrites(s3: S3Client) {
  const writes: string[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      if (/^(PutObject|CopyObject|CompleteMultipartUpload|UploadPart|UpdateObjectEncryption)/.test(name))
        writes.push(name);
      return next(args);
    },
    { step: 'initialize', name: `countWrites-${Math.random()}` },
  );
  return writes;
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
        if (!wroteUserObject && (name === 'PutObjectCommand' || name === 'CopyObjectCommand')) {
          wroteUserObject = true;
          await s3.send(new PutObjectCommand({ Bucket: object.bucket, Key: object.key, Body: newer }));
        }
        return next(args);
      },
      { step: 'initialize', name: 'userRace' },
    );
    const result = await encryptObject(jobFor(object, mode), pipeline.encryptDeps({ s3: raced }));
    expect(wroteUserObject).toBe(true);
    expect(result.outcome).toBe('superseded');
    expect((await readPlaintext(pipeline.clients, object.bucket, object.key)).toString()).toBe(newer);
    const item = await pipeline.ledger.get({ bucket: object.bucket, key: object.key, operation: 'encrypt' });
    expect(item?.state).toBe('SUPERSEDED');
  });

  it('reconciles a crash between the S3 write and the ledger update without writing again', async () => {
    const object = await seededObject(`crash-${mode}`);
    const job = jobFor(object, mode);
    const crashing = pipeline.encryptDeps({ faults: new Faults({ 'after-s3-write': 1 }) });
    await expect(encryptObject(job, crashing)).rejects.toBeInstanceOf(InjectedCrashError);
    const afterCrash = await describeObject(pipeline.clients.s3, object.bucket, object.key);
    // The write landed before the crash (an envelope rewrite changes the ETag; SSE copies may not).
    expect(mode === 'envelope' ? afterCrash.metadata['x-amz-3'] : afterCrash.kmsKeyArn).toBeTruthy();
    expect((await pipeline.ledger.get({ ...object, operation: 'encrypt' }))?.state).toBe('IN_PROGRESS');

    // The redelivery: same job, no faults, its own S3 client so we can count its writes.
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3);
    const retried = await encryptObject(job, pipeline.encryptDeps({ s3 }));
    expect(retried).toMatchObject({ outcome: 'encrypted', detail: 'reconciled after a crash' });
    expect(writes).toEqual([]);
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(afterCrash.etag);
    const item = await pipeline.ledger.get({ ...object, operation: 'encrypt' });
    expect(item).toMatchObject({ state: 'DONE', reconciled: true, resultEtag: afterCrash.etag, keyArn });
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });

  it('reconciles a write that landed before a passing error gave the claim back, without writing again', async () => {
    const object = await seededObject(`lost-reply-${mode}`);
    const job = jobFor(object, mode);
    // The write lands at S3, but its reply is lost (a timeout, a reset): the attempt releases its claim.
    const lossy = pipeline.newS3Client();
    lossy.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (/^(PutObject|CopyObject)Command$/.test(String(context.commandName))) {
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        }
        return out;
      },
      { step: 'initialize', name: 'loseReply' },
    );
    await expect(encryptObject(job, pipeline.encryptDeps({ s3: lossy }))).rejects.toThrow('socket hang up');
    expect((await pipeline.ledger.get({ ...object, operation: 'encrypt' }))?.state).toBe('RETRY');
    const landed = await describeObject(pipeline.clients.s3, object.bucket, object.key);

    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3);
    const retried = await encryptObject(job, pipeline.encryptDeps({ s3 }));
    // Counted as the encryption it was, and indexed under its key for rotations.
    expect(retried).toMatchObject({ outcome: 'encrypted', detail: 'reconciled after a crash' });
    expect(writes).toEqual([]);
    const item = await pipeline.ledger.get({ ...object, operation: 'encrypt' });
    expect(item).toMatchObject({ state: 'DONE', reconciled: true, resultEtag: landed.etag, keyArn });
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });

  it('processes duplicate deliveries of one job once, even within one batch', async () => {
    const object = await seededObject(`dup-${mode}`);
    const job = jobFor(object, mode);
    const s3 = pipeline.newS3Client();
    const writes = countWrites(s3);
    const run = await pipeline.runs.create({
      runId: job.runId,
      bucket: object.bucket,
      prefix: '',
      mode,
      keyArn,
      startedAt: new Date().toISOString(),
    });
    const handler = createEncryptHandler(() => ({ ...pipeline.encryptDeps({ s3 }), runs: pipeline.runs }));
    const event = (ids: string[]): SQSEvent => ({
      Records: ids.map((id) => ({ messageId: id, receiptHandle: id, body: JSON.stringify(job) }) as never),
    });
    // Three deliveries at once: one claims the object; the two that find its lease live are handed
    // back for a later retry (acknowledging them would lose the job if the claimant had crashed).
    const first = await handler(event(['a', 'b', 'c']), {} as never);
    expect(first.batchItemFailures).toHaveLength(2);
    // Their retries, and a late fourth delivery, find the job done and are acknowledged.
    const again = await handler(
      event(first.batchItemFailures.map((f) => f.itemIdentifier).concat('d')),
      {} as never,
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(writes.filter((w) => w !== 'UploadPartCommand')).toHaveLength(1);
    expect((await pipeline.runs.get(run.runId))?.counts.encrypted).toBe(1);
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });
});

describe('audit records that a crash interrupted', () => {
  it('a decision whose audit append died is audited by the redelivery, once', async () => {
    const object = await seededObject('audit-crash');
    const sealed = await encryptObject(jobFor(object, 'envelope'), pipeline.encryptDeps());
    expect(sealed.outcome).toBe('encrypted');
    const now = await describeObject(pipeline.clients.s3, object.bucket, object.key);
    const job = jobFor({ ...object, etag: now.etag }, 'sse-kms');
    const dying = { append: async () => Promise.reject(new Error('crash before the audit append')) };
    await expect(encryptObject(job, pipeline.encryptDeps({ audit: dying }))).rejects.toThrow('crash');
    expect((await encryptObject(job, pipeline.encryptDeps())).outcome).toBe('duplicate');
    expect((await encryptObject(job, pipeline.encryptDeps())).outcome).toBe('duplicate');
    const records = [];
    for await (const r of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, job.runId))
      records.push(r);
    expect(records.map((r) => [r.key, r.decision])).toEqual([[object.key, 'compliant']]);
  });
});

describe('never encrypting twice', () => {
  it('never re-encrypts an envelope object under any mode or key, leaving its bytes alone', async () => {
    const object = await seededObject('twice');
    expect((await encryptObject(jobFor(object, 'envelope'), pipeline.encryptDeps())).outcome).toBe(
      'encrypted',
    );
    const sealed = await describeObject(pipeline.clients.s3, object.bucket, object.key);
    const otherKey = await createKmsKey(pipeline.clients.kms);
    for (const mode of ['envelope', 'sse-kms', 'sse-s3'] as const) {
      const job = {
        ...jobFor({ ...object, etag: sealed.etag }, mode),
        keyArn: mode === 'sse-s3' ? undefined : otherKey,
      };
      const result = await encryptObject(job, pipeline.encryptDeps());
      // Envelope mode under another key: not compliant, and not ours to rewrap here: skipped.
      if (mode === 'envelope')
        expect(result, mode).toMatchObject({ outcome: 'skipped', reason: 'wrapped-under-another-key' });
      else expect(result.outcome, mode).toBe('compliant');
    }
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(sealed.etag);
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });
});

describe('objects the pipeline must not touch', () => {
  it('skips an object deleted before processing, with the reason in the ledger', async () => {
    const bucket = uniqueBucket('gone');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    const job = jobFor({ bucket, key: 'never/was', etag: '"x"' }, 'envelope');
    expect(await encryptObject(job, pipeline.encryptDeps())).toEqual({
      outcome: 'skipped',
      reason: 'missing',
    });
    expect((await pipeline.ledger.get({ bucket, key: 'never/was', operation: 'encrypt' }))?.reason).toBe(
      'missing',
    );
  });

  it('skips an object whose S3EC instruction file exists, and the instruction file itself', async () => {
    const object = await seededObject('instr');
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: object.bucket, Key: `${object.key}.instruction`, Body: '{}' }),
    );
    const main = await encryptObject(jobFor(object, 'envelope'), pipeline.encryptDeps());
    expect(main).toMatchObject({ outcome: 'skipped', reason: 'has-instruction-file' });
    const instruction = await encryptObject(
      jobFor({ ...object, key: `${object.key}.instruction` }, 'envelope'),
      pipeline.encryptDeps(),
    );
    expect(instruction).toMatchObject({ outcome: 'skipped', reason: 's3ec-instruction-file' });
    expect(await readPlaintext(pipeline.clients, object.bucket, object.key)).toEqual(object.bytes);
  });

  it('skips an archived (GLACIER) object without writing it', async () => {
    const bucket = uniqueBucket('glacier');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'cold', Body: 'cold data', StorageClass: 'GLACIER' }),
    );
    const { etag } = await describeObject(pipeline.clients.s3, bucket, 'cold');
    const result = await encryptObject(
      jobFor({ bucket, key: 'cold', etag }, 'sse-kms'),
      pipeline.encryptDeps(),
    );
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'archived' });
    expect((await describeObject(pipeline.clients.s3, bucket, 'cold')).etag).toBe(etag);
  });
});

describe('the encrypt handler', () => {
  it('fails only the malformed record of a batch; its neighbours succeed', async () => {
    const object = await seededObject('batch');
    const job = jobFor(object, 'sse-s3');
    const handler = createEncryptHandler(() => ({ ...pipeline.encryptDeps(), runs: pipeline.runs }));
    const response = await handler(
      {
        Records: [
          { messageId: 'good', receiptHandle: 'g', body: JSON.stringify(job) },
          { messageId: 'not-json', receiptHandle: 'n', body: 'this is not json' },
          {
            messageId: 'no-key',
            receiptHandle: 'k',
            body: JSON.stringify({ ...job, mode: 'envelope', keyArn: undefined }),
          },
        ] as never,
      },
      {} as never,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['no-key', 'not-json']);
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).sse).toBe('AES256');
  });

  it('records a disabled KMS key as FAILED with the reason, leaving the object untouched', async () => {
    const { DisableKeyCommand } = await import('@aws-sdk/client-kms');
    const disabled = await createKmsKey(pipeline.clients.kms);
    await pipeline.clients.kms.send(new DisableKeyCommand({ KeyId: disabled }));
    const object = await seededObject('disabled');
    const result = await encryptObject(
      { ...jobFor(object, 'envelope'), keyArn: disabled },
      pipeline.encryptDeps(),
    );
    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/Disabled|disabled/);
    expect((await describeObject(pipeline.clients.s3, object.bucket, object.key)).etag).toBe(object.etag);
    expect((await pipeline.ledger.get({ ...object, operation: 'encrypt' }))?.state).toBe('FAILED');
    expect(sha256(await readPlaintext(pipeline.clients, object.bucket, object.key))).toBe(
      sha256(object.bytes),
    );
  });
});
