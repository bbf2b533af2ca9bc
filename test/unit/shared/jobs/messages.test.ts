import { describe, expect, it } from 'vitest';
import {
  EncryptJobSchema,
  MalformedMessageError,
  parseMessage,
  ScanMessageSchema,
} from '../../../../shared/jobs/messages.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const job = {
  type: 'encrypt',
  runId: 'r1',
  jobId: 'j1',
  bucket: 'my-bucket',
  key: 'a b.txt',
  mode: 'envelope',
  keyArn: KEY,
};

describe('queue message schemas', () => {
  it('accepts an encrypt job and drops fields it does not know', () => {
    expect(parseMessage(EncryptJobSchema, JSON.stringify({ ...job, extra: 1 }))).toEqual(job);
  });

  it('accepts a first scan page, defaulting the prefix', () => {
    const scan = { type: 'scan', runId: 'r1', bucket: 'my-bucket', mode: 'sse-s3', page: 1 };
    expect(parseMessage(ScanMessageSchema, JSON.stringify(scan))).toEqual({ ...scan, prefix: '' });
  });

  it('needs a key ARN for envelope and sse-kms, not for sse-s3', () => {
    expect(() => parseMessage(EncryptJobSchema, JSON.stringify({ ...job, keyArn: undefined }))).toThrow(
      /keyArn/,
    );
    expect(() =>
      parseMessage(EncryptJobSchema, JSON.stringify({ ...job, mode: 'sse-kms', keyArn: undefined })),
    ).toThrow(MalformedMessageError);
    expect(
      parseMessage(EncryptJobSchema, JSON.stringify({ ...job, mode: 'sse-s3', keyArn: undefined })).mode,
    ).toBe('sse-s3');
  });

  it.each([
    ['a body that is not JSON', 'not json', /not JSON/],
    ['an unknown mode', JSON.stringify({ ...job, mode: 'rot13' }), /mode/],
    [
      'a scan page of 0',
      JSON.stringify({ type: 'scan', runId: 'r', bucket: 'bkt', mode: 'sse-s3', page: 0 }),
      /page/,
    ],
    [
      'an S3 test event',
      JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' }),
      /type/,
    ],
  ])('rejects %s as malformed, naming the problem', (_label, body, message) => {
    const parse = () =>
      body.includes('"scan"') ? parseMessage(ScanMessageSchema, body) : parseMessage(EncryptJobSchema, body);
    expect(parse).toThrow(MalformedMessageError);
    expect(parse).toThrow(message);
  });
});
