import { describe, expect, it } from 'vitest';
import { ensureAuditBucket } from '../../../../shared/chunks/audit-bucket.js';
import { answeringS3 } from '../../../helpers/answering-s3.js';

/** The audit bucket on an endpoint without Object Lock (LocalStack has it: integration/chunk-log.test.ts). */
const error = (code: string, status: number) => ({
  status,
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
});

describe('ensureAuditBucket', () => {
  it('falls back to a plain versioned bucket, and says why, when the endpoint refuses Object Lock', async () => {
    const { s3, sent } = answeringS3((r) => {
      if (r.method === 'HEAD') return { status: 404 };
      if (r.method === 'PUT' && r.query.versioning === null) return { status: 200 };
      return sent.filter((s) => s.method === 'PUT').length === 1
        ? error('NotImplemented', 501)
        : { status: 200 };
    });
    const state = await ensureAuditBucket(s3, { bucket: 'trail', prefix: 'audit/' }, { retentionDays: 1 });
    expect(state).toEqual({
      bucket: 'trail',
      status: 'created',
      objectLock: false,
      reason: expect.stringMatching(/^the endpoint refused Object Lock: NotImplemented/),
    });
    expect(sent.map((r) => `${r.method} ${Object.keys(r.query).join(',')}`)).toEqual([
      'HEAD ',
      'PUT ',
      'PUT ',
      'PUT versioning',
    ]);
  });

  it('uses an existing bucket as it is, reporting a missing Object Lock instead of changing it', async () => {
    const { s3, sent } = answeringS3((r) =>
      r.method === 'HEAD' ? { status: 200 } : error('ObjectLockConfigurationNotFoundError', 404),
    );
    expect(await ensureAuditBucket(s3, { bucket: 'trail', prefix: '' }, { retentionDays: 365 })).toEqual({
      bucket: 'trail',
      status: 'exists',
      objectLock: false,
      reason: 'the existing bucket has no Object Lock',
    });
    expect(sent.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });
});
