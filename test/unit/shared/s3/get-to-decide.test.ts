import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { getToDecide, OpenedObject } from '../../../../shared/s3/get-to-decide.js';
import { headObject } from '../../../../shared/s3/object-head.js';
import { answeringS3 } from '../../../helpers/answering-s3.js';

// Every header S3 sends on both a HEAD and a GET that the decision or a rewrite reads (S3 API
// Reference, HeadObject and GetObject, "Response Syntax").
const HEADERS = {
  etag: '"0123abcd"',
  'content-length': '11',
  'content-type': 'text/plain',
  'cache-control': 'no-cache',
  'content-disposition': 'attachment',
  'content-encoding': 'identity',
  'content-language': 'fr',
  expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
  'last-modified': 'Mon, 07 Dec 2026 04:00:01 GMT',
  'x-amz-version-id': 'v-17',
  'x-amz-server-side-encryption': 'aws:kms',
  'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:111122223333:key/k',
  'x-amz-server-side-encryption-bucket-key-enabled': 'true',
  'x-amz-storage-class': 'STANDARD_IA',
  'x-amz-website-redirect-location': '/elsewhere',
  'x-amz-object-lock-mode': 'GOVERNANCE',
  'x-amz-object-lock-retain-until-date': '2027-01-01T00:00:00.000Z',
  'x-amz-object-lock-legal-hold': 'ON',
  'x-amz-meta-owner': 'alice',
  'x-amz-meta-x-amz-key-v2': 'AQID',
  'x-amz-tagging-count': '2',
  // SHA-256 of the body: the SDK checks it as the body is read.
  'x-amz-checksum-sha256': 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=',
};

const error = (status: number, code: string) => ({
  status,
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`,
});

describe('getToDecide', () => {
  it('shows the same head as a HEAD with the same headers, and holds the body unread', async () => {
    const { s3, sent } = answeringS3(() => ({ headers: HEADERS, body: 'hello world' }));
    const opened = await getToDecide(s3, 'b', 'k');
    expect(opened).toBeInstanceOf(OpenedObject);
    const head = await headObject(s3, 'b', 'k');
    expect((opened as OpenedObject).head).toEqual(head);
    expect(sent.map((r) => r.method)).toEqual(['GET', 'HEAD']);

    const held = (opened as OpenedObject).take()!;
    expect(held).toMatchObject({ plaintextLength: 11, tagCount: 2, checksumAlgorithm: 'SHA256' });
    expect((await buffer(held.body)).toString()).toBe('hello world');
    expect((opened as OpenedObject).take()).toBeUndefined();
  });

  it('lets an untaken body go, once; a taken one is the taker’s', async () => {
    const { s3 } = answeringS3(() => ({ headers: HEADERS, body: 'hello world' }));
    const opened = (await getToDecide(s3, 'b', 'k')) as OpenedObject;
    const body = (opened as unknown as { held: { body: NodeJS.ReadableStream & { destroyed: boolean } } })
      .held.body;
    expect(opened.holding).toBe(true);
    opened.release();
    opened.release();
    expect(body.destroyed).toBe(true);
    expect(opened.holding).toBe(false);
    expect(opened.take()).toBeUndefined();

    const taken = (await getToDecide(s3, 'b', 'k')) as OpenedObject;
    const held = taken.take()!;
    taken.release();
    expect(held.body.destroyed).toBe(false);
    held.body.destroy();
  });

  it('a missing object is undefined; a refused GET (archived, SSE-C, a key it may not use) asks a HEAD', async () => {
    const answers = [
      error(404, 'NoSuchKey'),
      error(403, 'InvalidObjectState'),
      error(400, 'InvalidRequest'),
      error(403, 'AccessDenied'),
    ];
    const { s3 } = answeringS3(() => answers.shift()!);
    expect(await getToDecide(s3, 'b', 'k')).toBeUndefined();
    expect(await getToDecide(s3, 'b', 'k')).toBe('ask-head');
    expect(await getToDecide(s3, 'b', 'k')).toBe('ask-head');
    expect(await getToDecide(s3, 'b', 'k')).toBe('ask-head');
  });

  it('throws any other error, as a HEAD would', async () => {
    const { s3 } = answeringS3(() => error(500, 'InternalError'));
    await expect(getToDecide(s3, 'b', 'k')).rejects.toMatchObject({ name: 'InternalError' });
  });
});
