import { spawnSync } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { LeaseHeldError } from '../../shared/errors.js';
import { encryptObject } from '../../shared/jobs/encrypt-object.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { LocalClaims } from '../../shared/worker/local-claims.js';
import { currentProcess, localOwnerToken } from '../../shared/worker/process-identity.js';
import { createKmsKey, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
/** A claim owner naming a process on this host that has exited. */
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
  const head = (await headObject(pipeline.clients.s3, bucket, key))!;
  return { bucket, key, etag: head.etag };
}

const jobFor = (object: { bucket: string; key: string }, runId = newRunId()): EncryptJob => ({
  type: 'encrypt',
  runId,
  jobId: `job-${runId}`,
  bucket: object.bucket,
  key: object.key,
  mode: 'envelope',
  keyArn,
});

/** Leaves an IN_PROGRESS claim with a 15-minute lease, as a process killed mid-job does. */
async function claimAs(owner: string, object: { bucket: string; key: string; etag: string }, runId: string) {
  const claim = await pipeline.ledger.claim({
    bucket: object.bucket,
    key: object.key,
    operation: 'encrypt',
    runId,
    jobId: `job-${runId}`,
    owner,
    leaseSeconds: 900,
    sourceEtag: object.etag,
    mode: 'envelope',
    method: 'envelope',
  });
  expect(claim.claimed).toBe(true);
}

describe('a claim held by a local process that is gone', () => {
  it('is taken over at once by a local process on the same host, which encrypts the object once', async () => {
    const object = await plaintextObject('dead-owner');
    const job = jobFor(object);
    await claimAs(deadOwner, object, job.runId);
    // Without proof of death (a Lambda, say), the lease is waited out.
    await expect(encryptObject(job, pipeline.encryptDeps())).rejects.toBeInstanceOf(LeaseHeldError);

    const result = await encryptObject(job, pipeline.encryptDeps({ local: new LocalClaims() }));
    expect(result.outcome).toBe('encrypted');
    const item = (await pipeline.ledger.get({ ...object, operation: 'encrypt' }))!;
    expect(item.state).toBe('DONE');
    expect(item.owner).toBeUndefined();
    expect(
      envelopeFormatOf((await headObject(pipeline.clients.s3, object.bucket, object.key))!.metadata),
    ).toBeTruthy();
    expect((await readPlaintext(pipeline.clients, object.bucket, object.key)).toString()).toBe(
      'bytes of dead-owner',
    );
  });

  it('is left alone while its process runs', async () => {
    const object = await plaintextObject('live-owner');
    const job = jobFor(object);
    await claimAs(localOwnerToken(), object, job.runId);
    await expect(
      encryptObject(job, pipeline.encryptDeps({ local: new LocalClaims() })),
    ).rejects.toBeInstanceOf(LeaseHeldError);
    expect((await pipeline.ledger.get({ ...object, operation: 'encrypt' }))!.state).toBe('IN_PROGRESS');
  });

  it('does not stop a re-run from recording an object that is already protected', async () => {
    const object = await plaintextObject('rerun');
    expect((await encryptObject(jobFor(object), pipeline.encryptDeps())).outcome).toBe('encrypted');
    const protectedHead = (await headObject(pipeline.clients.s3, object.bucket, object.key))!;
    // A later run's attempt claimed it and died (its HEAD saw the object before our write, say).
    await claimAs(deadOwner, { ...object, etag: '"stale"' }, newRunId());
    const rerun = jobFor(object);
    // Before: counted nowhere (a duplicate), so the re-run would never settle.
    expect((await encryptObject(rerun, pipeline.encryptDeps())).outcome).toBe('duplicate');
    const result = await encryptObject(rerun, pipeline.encryptDeps({ local: new LocalClaims() }));
    expect(result.outcome).toBe('compliant');
    const item = (await pipeline.ledger.get({ ...object, operation: 'encrypt' }))!;
    expect(item).toMatchObject({ state: 'COMPLIANT', runId: rerun.runId });
    // Not written again.
    expect((await headObject(pipeline.clients.s3, object.bucket, object.key))!.etag).toBe(protectedHead.etag);
  });
});
