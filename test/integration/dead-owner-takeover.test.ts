import { spawnSync } from 'node:child_process';
import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { chunkIdFor, type EncryptChunk, membershipDigest } from '../../shared/chunks/chunk-message.js';
import { runChunk } from '../../shared/chunks/run-chunk.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { LeaseHeldError } from '../../shared/errors.js';
import { encryptChunkKind } from '../../shared/jobs/encrypt-object.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { LocalClaims } from '../../shared/worker/local-claims.js';
import { currentProcess, localOwnerToken } from '../../shared/worker/process-identity.js';
import { createKmsKey, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
/** A chunk owner naming a process on this host that has exited. */
let deadOwner: string;

beforeAll(async () => {
  pipeline = await startPipeline('takeover');
  keyArn = await createKmsKey(pipeline.clients.kms);
  const exited = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  deadOwner = localOwnerToken({ ...currentProcess(), pid: Number(exited.stdout.trim()) });
});

async function plaintextObject(label: string) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  const key = 'docs/report.txt';
  await pipeline.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${label}` }),
  );
  return { bucket, key };
}

/** A one-intent encrypt chunk of a fresh run. */
function chunkFor(object: { bucket: string; key: string }, mode: 'envelope' | 'sse-kms'): EncryptChunk {
  const runId = newRunId();
  const origin = `test:${object.key}`;
  return {
    type: 'encrypt-chunk',
    runId,
    bucket: object.bucket,
    mode,
    keyArn,
    chunkId: chunkIdFor(runId, origin),
    origin,
    intents: [{ key: object.key }],
  };
}

/** Leaves the chunk IN_PROGRESS with a 15-minute lease, as a process killed mid-chunk does. */
async function claimAs(owner: string, message: EncryptChunk) {
  const claim = await pipeline.chunks.claim({
    runId: message.runId,
    chunkId: message.chunkId,
    owner,
    leaseSeconds: 900,
    membership: membershipDigest(message.intents),
  });
  expect(claim.claimed).toBe(true);
}

/** Runs the chunk as a handler does; `local` names this process as a local one (worker, resume). */
function run(message: EncryptChunk, local?: LocalClaims) {
  const deps = pipeline.encryptDeps(local ? { local } : {});
  return runChunk(message, encryptChunkKind(deps), deps);
}

const itemOf = (message: EncryptChunk) =>
  pipeline.chunks.get({ runId: message.runId, chunkId: message.chunkId });

describe('a chunk held by a local process that is gone', () => {
  it('is taken over at once by a local process on the same host, which encrypts the object once', async () => {
    const object = await plaintextObject('dead-owner');
    const message = chunkFor(object, 'envelope');
    await claimAs(deadOwner, message);
    // Without proof of death (a Lambda, say), the lease is waited out.
    await expect(run(message)).rejects.toBeInstanceOf(LeaseHeldError);

    const outcome = await run(message, new LocalClaims());
    expect(outcome).toEqual({
      state: 'committed',
      results: [expect.objectContaining({ outcome: 'encrypted' })],
    });
    // The dead attempt's claim was 1; the take-over's is 2, and it committed.
    expect(await itemOf(message)).toMatchObject({ state: 'DONE', attempt: 2, records: 1 });
    expect(
      envelopeFormatOf((await headObject(pipeline.clients.s3, object.bucket, object.key))!.metadata),
    ).toBeTruthy();
    expect((await readPlaintext(pipeline.clients, object.bucket, object.key)).toString()).toBe(
      'bytes of dead-owner',
    );
    expect(await pipeline.trail.records(message.runId)).toEqual([
      expect.objectContaining({ key: object.key, decision: 'encrypted', position: 0 }),
    ]);
  });

  it('is left alone while its process runs', async () => {
    const object = await plaintextObject('live-owner');
    const message = chunkFor(object, 'envelope');
    const owner = localOwnerToken();
    await claimAs(owner, message);
    await expect(run(message, new LocalClaims())).rejects.toBeInstanceOf(LeaseHeldError);
    expect(await itemOf(message)).toMatchObject({ state: 'IN_PROGRESS', attempt: 1, owner });
    expect(
      envelopeFormatOf((await headObject(pipeline.clients.s3, object.bucket, object.key))!.metadata),
    ).toBeUndefined();
  });

  it('records the dead process’s landed write as reconciled, without writing again', async () => {
    const object = await plaintextObject('landed');
    const message = chunkFor(object, 'sse-kms');
    await claimAs(deadOwner, message);
    // The dead process wrote the object after its claim (S3 keeps LastModified to the second), then died.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await pipeline.clients.s3.send(
      new CopyObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        CopySource: `${object.bucket}/${encodeURIComponent(object.key)}`,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyArn,
        MetadataDirective: 'COPY',
      }),
    );
    const landed = (await headObject(pipeline.clients.s3, object.bucket, object.key))!;
    const outcome = await run(message, new LocalClaims());
    expect(outcome).toMatchObject({ state: 'committed', results: [{ outcome: 'encrypted' }] });
    expect(await pipeline.trail.records(message.runId)).toEqual([
      expect.objectContaining({ key: object.key, decision: 'encrypted', reconciled: true }),
    ]);
    // Not written again.
    expect((await headObject(pipeline.clients.s3, object.bucket, object.key))!.etag).toBe(landed.etag);
    expect((await headObject(pipeline.clients.s3, object.bucket, object.key))!.lastModified).toEqual(
      landed.lastModified,
    );
  });
});
