import { describe, expect, it } from 'vitest';
import { headListedObject } from '../../../../shared/s3/head-listed.js';
import { answeringS3, listBucketResult, type SentRequest } from '../../../helpers/answering-s3.js';

const found = { headers: { etag: '"e1"', 'content-length': '3', 'x-amz-server-side-encryption': 'AES256' } };
const notFound = { status: 404 };

/** Answers HEADs in turn from `heads`, and a listing that shows `listed`. */
function bucketWith(heads: Array<typeof found | typeof notFound>, listed: string[]) {
  return answeringS3((request: SentRequest) =>
    request.method === 'HEAD'
      ? (heads.shift() ?? notFound)
      : { body: listBucketResult({ encoded: true, keys: listed.map(encodeURIComponent) }) },
  );
}

describe('headListedObject', () => {
  it('returns the object a first HEAD finds, asking nothing else', async () => {
    const { s3, sent } = bucketWith([found], []);
    const result = await headListedObject(s3, 'b', 'a\rb');
    expect(result).toMatchObject({
      state: 'found',
      head: { key: 'a\rb', etag: '"e1"', serverSideEncryption: 'AES256' },
    });
    expect(sent.map((r) => r.method)).toEqual(['HEAD']);
    expect(sent[0]!.path).toBe('/b/a%0Db');
  });

  it('asks again after a 404 and takes a second answer that finds it', async () => {
    const { s3, sent } = bucketWith([notFound, found], []);
    expect((await headListedObject(s3, 'b', 'k')).state).toBe('found');
    expect(sent.map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('reports a key that is still listed but HEAD cannot find, never as found', async () => {
    const { s3, sent } = bucketWith([notFound, notFound], ['trailing ', 'trailing x']);
    expect(await headListedObject(s3, 'b', 'trailing ')).toEqual({ state: 'listed-not-found' });
    expect(sent.map((r) => r.method)).toEqual(['HEAD', 'HEAD', 'GET']);
    expect(sent[2]!.query).toMatchObject({ prefix: 'trailing ', 'max-keys': '1', 'encoding-type': 'url' });
  });

  it('says gone when the key is no longer listed (only longer keys it prefixes are)', async () => {
    const { s3 } = bucketWith([notFound, notFound], ['trailing x']);
    expect(await headListedObject(s3, 'b', 'trailing ')).toEqual({ state: 'gone' });
  });
});
