import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AUDIT_TRAIL_REQUESTS, countRequests, perObject } from '../../../bench/request-counter.js';

/** An S3 client whose every request is answered 200 at once, with no network. */
function answeringClient(): S3Client {
  return new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    endpoint: 'http://localhost:1',
    forcePathStyle: true,
    requestHandler: {
      handle: async () => ({ response: { statusCode: 200, headers: {}, body: undefined } }),
    },
  });
}

describe('countRequests', () => {
  it('counts chunk log PUTs to the audit bucket as S3 requests, and apart under s3.audit-trail', async () => {
    const s3 = answeringClient();
    const counts = countRequests({ s3 }, { auditBucket: 'trail' });
    await s3.send(new HeadObjectCommand({ Bucket: 'data', Key: 'a' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'trail', Key: 'audit/runs/r/chunks/c/1.jsonl.gz', Body: 'x' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'data', Key: 'b', Body: 'y' }));
    expect(counts).toMatchObject({ s3: 3, 's3.HeadObject': 1, 's3.PutObject': 2, [AUDIT_TRAIL_REQUESTS]: 1 });
    expect(perObject(counts, 100)[AUDIT_TRAIL_REQUESTS]).toBe(0.01);
  });

  it('without an audit bucket counts nothing apart', async () => {
    const s3 = answeringClient();
    const counts = countRequests({ s3 });
    await s3.send(new PutObjectCommand({ Bucket: 'trail', Key: 'k', Body: 'x' }));
    expect(counts[AUDIT_TRAIL_REQUESTS]).toBeUndefined();
    expect(counts.s3).toBe(1);
  });
});
