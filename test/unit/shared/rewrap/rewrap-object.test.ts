import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import {
  type EnvelopeV2,
  encryptionContextFor,
  toObjectMetadata,
} from '../../../../shared/envelope/format.js';
import type { RewrapJob } from '../../../../shared/jobs/messages.js';
import type { AttemptView } from '../../../../shared/lifecycle/object-operation.js';
import { type RewrapDeps, rewrapOperation } from '../../../../shared/rewrap/rewrap-object.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';

const A = 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-0000-0000-0000-000000000000';
const B = 'arn:aws:kms:eu-west-1:111122223333:key/bbbbbbbb-0000-0000-0000-000000000000';
const CLAIMED = new Date('2026-05-01T12:00:00Z');
const CUT_OFF = '2026-04-01T00:00:00.000Z';

const envelopeMetadata = toObjectMetadata({
  format: 'v2',
  wrappedKey: Buffer.alloc(16, 1),
  iv: Buffer.alloc(12, 2),
  encryptionContext: encryptionContextFor('v2'),
  plaintextLength: 10,
} satisfies EnvelopeV2);

function job(overrides: Partial<RewrapJob> = {}): RewrapJob {
  return { runId: 'r1', jobId: 'j1', bucket: 'bkt', key: 'k', fromKeyArn: A, toKeyArn: B, ...overrides };
}

function head(overrides: Partial<ObjectHead> = {}): ObjectHead {
  return {
    bucket: 'bkt',
    key: 'k',
    etag: '"e1"',
    size: 10,
    metadata: {},
    headers: {},
    lastModified: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

const sseKms = (keyArn: string, lastModified = new Date('2026-01-01T00:00:00Z')) =>
  head({ serverSideEncryption: 'aws:kms', kmsKeyArn: keyArn, lastModified });

function attempt(recovering = false): AttemptView {
  return {
    recovering,
    claimedSince: CLAIMED,
    salt: Buffer.alloc(16),
    earlierSalts: recovering ? [Buffer.alloc(16, 1)] : [],
    chunk: { runId: 'r1', chunkId: 'c'.repeat(24) },
    owner: 'me',
  };
}

function deps(overrides: Partial<RewrapDeps> = {}): RewrapDeps {
  const send = vi.fn(async () => {
    throw new Error('no request expected');
  });
  return {
    s3: { send } as unknown as S3Client,
    kms: { send } as unknown as KMSClient,
    config: {
      leaseSeconds: 60,
      actor: 'test',
      copyMultipartThresholdBytes: 5 * 1024 ** 3,
      copyPartSizeBytes: 64 * 1024 ** 2,
      useUpdateObjectEncryption: false,
    },
    ...overrides,
  };
}

describe('rewrapOperation: decide on a HEAD, no ledger', () => {
  it('plans a KMS key move for an SSE-KMS object under the source key', async () => {
    const plan = await rewrapOperation(job(), deps()).decide(sseKms(A), attempt());
    expect(plan).toMatchObject({ action: 'write', method: 'move-kms-key', audit: { keyArn: B } });
  });

  it('finds an object already under the target compliant, and skips one under a third key', async () => {
    const op = rewrapOperation(job(), deps());
    expect(await op.decide(sseKms(B), attempt())).toMatchObject({
      action: 'decide',
      state: 'COMPLIANT',
      reason: 'already under the target key',
    });
    expect(await op.decide(sseKms('arn:aws:kms:eu-west-1:1:key/other'), attempt())).toMatchObject({
      state: 'SKIPPED',
      reason: 'wrapped-under-another-key',
    });
    expect(await op.decide(head({ serverSideEncryption: 'AES256' }), attempt())).toMatchObject({
      state: 'SKIPPED',
      reason: 'not-kms-protected',
    });
  });

  it('rotation: re-wraps what was last written before the cut-off, not what was written since', async () => {
    const op = rewrapOperation(job({ fromKeyArn: A, toKeyArn: A, wrappedBefore: CUT_OFF }), deps());
    expect(await op.decide(sseKms(A, new Date('2026-03-31T23:59:59Z')), attempt())).toMatchObject({
      action: 'write',
    });
    expect(await op.decide(sseKms(A, new Date('2026-04-02T00:00:00Z')), attempt())).toMatchObject({
      state: 'COMPLIANT',
      reason: 'already re-wrapped since the rotation',
    });
  });

  it('rotation with a cut-off after the claim: an object written since the claim is not written again', async () => {
    const op = rewrapOperation(
      job({ fromKeyArn: A, toKeyArn: A, wrappedBefore: '2026-06-01T00:00:00Z' }),
      deps(),
    );
    const before = sseKms(A, new Date('2026-04-30T00:00:00Z'));
    const since = sseKms(A, new Date('2026-05-01T12:00:01Z'));
    expect(await op.decide(before, attempt(true))).toMatchObject({ action: 'write' });
    expect(await op.decide(since, attempt(true))).toMatchObject({
      state: 'COMPLIANT',
      reason: 'written since the chunk was claimed',
    });
    expect(op.landed(since, attempt(true))).toBe(true);
    expect(op.landed(before, attempt(true))).toBe(false);
  });

  it('rotation of an envelope decides by LastModified alone, before any KMS call', async () => {
    const op = rewrapOperation(job({ fromKeyArn: A, toKeyArn: A, wrappedBefore: CUT_OFF }), deps());
    const old = head({ metadata: envelopeMetadata });
    const fresh = head({ metadata: envelopeMetadata, lastModified: new Date('2026-04-15T00:00:00Z') });
    expect(await op.decide(old, attempt())).toMatchObject({ action: 'write', method: 'reencrypt-data-key' });
    expect(await op.decide(fresh, attempt())).toMatchObject({ state: 'COMPLIANT' });
  });

  it('landed: under the target key and written since the claim, and nothing else', () => {
    const op = rewrapOperation(job(), deps());
    expect(op.landed(sseKms(B, new Date('2026-05-01T12:00:00Z')), attempt(true))).toBe(true);
    expect(op.landed(sseKms(B, new Date('2026-05-01T11:59:59Z')), attempt(true))).toBe(false);
    expect(op.landed(sseKms(A, new Date('2026-05-02T00:00:00Z')), attempt(true))).toBe(false);
    // A move's envelope is under the target only as KMS says: never proven from the HEAD.
    expect(
      op.landed(head({ metadata: envelopeMetadata, lastModified: new Date('2026-06-01') }), attempt(true)),
    ).toBe(false);
  });

  it('records a reconciled write as re-wrapped from the source key, under the target', () => {
    const done = rewrapOperation(job(), deps()).reconciled(sseKms(B));
    expect(done.decision).toBe('rewrapped');
    expect(done.audit).toMatchObject({ keyArn: B, reconciled: true, etagAfter: '"e1"' });
    expect(done.result.outcome).toBe('encrypted');
  });

  it('hands a write of a large object to the large-object queue as a chunk of its own, but not a decision', async () => {
    const sent: unknown[] = [];
    const sqs = {
      send: async (command: SendMessageCommand) => sent.push(JSON.parse(command.input.MessageBody!)),
    };
    const largeObjects = {
      serves: false as const,
      thresholdBytes: 100,
      sqs: sqs as unknown as SQSClient,
      queueUrl: 'large-q',
    };
    const op = rewrapOperation(job(), deps({ largeObjects }));
    expect(await op.decide(sseKms(A), attempt())).toMatchObject({ action: 'write' });
    expect(sent).toEqual([]);
    expect(await op.decide({ ...sseKms(A), size: 101 }, attempt())).toMatchObject({ action: 'handed-off' });
    expect(sent).toMatchObject([
      { type: 'rewrap-chunk', large: true, intents: [{ key: 'k' }], fromKeyArn: A, toKeyArn: B },
    ]);
    expect(await op.decide({ ...sseKms(B), size: 101 }, attempt())).toMatchObject({ state: 'COMPLIANT' });
    expect(sent).toHaveLength(1);
  });

  it('envelope move after a crash: KMS shows the data key under the target, written since the claim: reconciled', async () => {
    // ReEncrypt naming the source is refused (the key is under B now); naming B succeeds.
    const send = vi.fn(async (command: { input: { SourceKeyId: string } }) => {
      if (command.input.SourceKeyId === A)
        throw Object.assign(new Error('wrong key'), { name: 'IncorrectKeyException' });
      return { CiphertextBlob: new Uint8Array([9]), KeyId: B, $metadata: {} };
    });
    const op = rewrapOperation(job(), deps({ kms: { send } as unknown as KMSClient }));
    const since = head({ metadata: envelopeMetadata, lastModified: new Date('2026-05-01T12:00:05Z') });
    const plan = await op.decide(since, attempt(true));
    if (plan.action !== 'write') throw new Error(`expected a write, got ${plan.action}`);
    const done = await plan.complete(await plan.write());
    expect(done).toMatchObject({ decision: 'rewrapped', audit: { keyArn: B, reconciled: true } });
    // Not recovering (or written before the claim): the same KMS answer is a plain compliant decision.
    const fresh = await op.decide(since, attempt(false));
    if (fresh.action !== 'write') throw new Error('expected a write');
    expect(await fresh.complete(await fresh.write())).toMatchObject({
      decision: 'compliant',
      audit: { keyArn: B, reason: 'already wrapped under the target key' },
    });
    expect(send).toHaveBeenCalledTimes(4);
  });

  it('identifies its job for the records', () => {
    expect(rewrapOperation(job(), deps()).job).toEqual({
      bucket: 'bkt',
      key: 'k',
      runId: 'r1',
      jobId: 'j1',
      mode: 'rewrap',
    });
  });
});
