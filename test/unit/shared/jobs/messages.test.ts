import { describe, expect, it } from 'vitest';
import { chunkIdFor, EncryptChunkSchema } from '../../../../shared/chunks/chunk-message.js';
import {
  MalformedMessageError,
  parseMessage,
  runFieldsOf,
  ScanMessageSchema,
} from '../../../../shared/jobs/messages.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const job = {
  type: 'encrypt-chunk',
  runId: 'r1',
  bucket: 'my-bucket',
  mode: 'envelope',
  keyArn: KEY,
  chunkId: chunkIdFor('r1', 'listing:c:1:0'),
  origin: 'listing:c:1:0',
  intents: [{ key: 'a b.txt', etag: '"e"', size: 3 }],
};

describe('queue message schemas', () => {
  it('accepts an encrypt chunk and drops fields it does not know', () => {
    expect(parseMessage(EncryptChunkSchema, JSON.stringify({ ...job, extra: 1 }))).toEqual(job);
  });

  it('accepts a first scan page, defaulting the prefix', () => {
    const scan = { type: 'scan', runId: 'r1', bucket: 'my-bucket', mode: 'sse-s3', page: 1 };
    expect(parseMessage(ScanMessageSchema, JSON.stringify(scan))).toEqual({ ...scan, prefix: '' });
  });

  it('needs a key ARN for envelope and sse-kms, not for sse-s3', () => {
    expect(() => parseMessage(EncryptChunkSchema, JSON.stringify({ ...job, keyArn: undefined }))).toThrow(
      /keyArn/,
    );
    expect(() =>
      parseMessage(EncryptChunkSchema, JSON.stringify({ ...job, mode: 'sse-kms', keyArn: undefined })),
    ).toThrow(MalformedMessageError);
    expect(
      parseMessage(EncryptChunkSchema, JSON.stringify({ ...job, mode: 'sse-s3', keyArn: undefined })).mode,
    ).toBe('sse-s3');
  });

  it("takes a message's run fields and nothing else", () => {
    const scan = parseMessage(
      ScanMessageSchema,
      JSON.stringify({
        type: 'scan',
        runId: 'r1',
        bucket: 'my-bucket',
        mode: 'sse-kms',
        keyArn: KEY,
        page: 3,
      }),
    );
    expect(runFieldsOf(scan)).toEqual({ runId: 'r1', bucket: 'my-bucket', mode: 'sse-kms', keyArn: KEY });
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
      body.includes('"scan"')
        ? parseMessage(ScanMessageSchema, body)
        : parseMessage(EncryptChunkSchema, body);
    expect(parse).toThrow(MalformedMessageError);
    expect(parse).toThrow(message);
  });
});
