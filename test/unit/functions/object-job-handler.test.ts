import type { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createEncryptHandler } from '../../../functions/encrypt/handler.js';
import type { RunCloser } from '../../../shared/audit/run-digest.js';
import type { RunStore } from '../../../shared/runs/run-store.js';
import { FakeAudit, FakeLedger } from '../../helpers/fake-ledger.js';

const GiB = 1024 ** 3;

/** S3 that answers HEAD only, from a table of objects, and logs every call. */
function fakeS3(objects: Record<string, { size: number; sse?: string }>, calls: string[]) {
  return {
    send: vi.fn(async (command: { constructor: { name: string }; input: { Key: string } }) => {
      calls.push(`${command.constructor.name} ${command.input.Key}`);
      const object = objects[command.input.Key];
      if (command.constructor.name !== 'HeadObjectCommand' || !object) throw new Error('unexpected call');
      return {
        ETag: `"${command.input.Key}"`,
        ContentLength: object.size,
        ServerSideEncryption: object.sse,
        Metadata: {},
        $metadata: { httpStatusCode: 200 },
      };
    }),
  } as unknown as S3Client;
}

const job = (key: string, size?: number) => ({
  type: 'encrypt',
  runId: 'R1',
  jobId: `J-${key}`,
  bucket: 'bucket',
  key,
  mode: 'sse-s3',
  ...(size === undefined ? {} : { size }),
});

describe('object job handler deadlines', () => {
  it('starts no object it cannot finish before the deadline; those records come back unclaimed', async () => {
    const calls: string[] = [];
    const ledger = new FakeLedger();
    const audit = new FakeAudit();
    const runs = {};
    const settled: string[][] = [];
    const closer = { settle: vi.fn(async (ids: Iterable<string>) => void settled.push([...ids])) };
    const s3 = fakeS3(
      {
        small: { size: 10, sse: 'AES256' },
        'big-unlisted': { size: 8 * GiB },
        'big-listed': { size: 8 * GiB },
      },
      calls,
    );
    const handler = createEncryptHandler(() => ({
      s3,
      kms: {} as never,
      ledger,
      audit,
      runs: runs as unknown as RunStore,
      closer: closer as unknown as RunCloser,
      config: {
        leaseSeconds: 360,
        multipartThresholdBytes: 16 * 1024 ** 2,
        copyMultipartThresholdBytes: 5 * GiB,
        copyPartSizeBytes: 512 * 1024 ** 2,
        useUpdateObjectEncryption: false,
        actor: 'test',
      },
      lambdaDeadline: { marginMs: 10_000, functionTimeoutMs: 300_000 },
    }));
    const event: SQSEvent = {
      Records: [job('small'), job('big-unlisted'), job('big-listed', 8 * GiB)].map(
        (body, i) => ({ messageId: `m${i}`, receiptHandle: `r${i}`, body: JSON.stringify(body) }) as never,
      ),
    };
    // A minute left: an 8 GiB copy (~65 s) does not fit in it, but would fit a fresh invocation.
    const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

    const response = await handler(event, context);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2']);
    // The listed size was enough to refuse before any request; the other was refused after HEAD.
    expect(calls.sort()).toEqual(['HeadObjectCommand big-unlisted', 'HeadObjectCommand small']);
    expect(await ledger.get({ bucket: 'bucket', key: 'big-unlisted', operation: 'encrypt' })).toBeUndefined();
    expect(await ledger.get({ bucket: 'bucket', key: 'big-listed', operation: 'encrypt' })).toBeUndefined();
    expect(audit.records.map((r) => [r.key, r.decision])).toEqual([['small', 'compliant']]);
    // The audit append counted the one finished record; the batch then checks its run for closing.
    expect(settled).toEqual([['R1']]);

    // With a fresh invocation's time the same records are started.
    const fresh = { getRemainingTimeInMillis: () => 295_000 } as Context;
    const again = await handler({ Records: event.Records.slice(1) }, fresh);
    // (the fake S3 answers HEAD only, so their writes fail and give the claims back).
    expect(again.batchItemFailures).toHaveLength(2);
    for (const key of ['big-unlisted', 'big-listed']) {
      expect(await ledger.get({ bucket: 'bucket', key, operation: 'encrypt' }), key).toMatchObject({
        state: 'RETRY',
        attempts: 1,
      });
    }
  });
});
