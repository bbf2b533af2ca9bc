import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { listObjectPages, listObjectsPage } from '../../../../shared/s3/list-objects.js';
import { answeringS3, listBucketResult } from '../../../helpers/answering-s3.js';

describe('listObjectsPage', () => {
  it('asks for url encoding and decodes keys S3 form-encodes (+ for a space, %2B for a plus)', async () => {
    const { s3, sent } = answeringS3(() => ({
      body: listBucketResult({
        encoded: true,
        keys: [
          'a%0Db',
          'a%0Ab',
          'tab%09here',
          'trailing+',
          'plus%2Bsign',
          'space+here',
          'unicod%C3%A9',
          'pct%252B',
        ],
      }),
    }));
    const page = await listObjectsPage(s3, { bucket: 'b', prefix: 'p ', maxKeys: 10 });
    expect(sent[0]!.query).toMatchObject({
      'list-type': '2',
      'encoding-type': 'url',
      prefix: 'p ',
      'max-keys': '10',
    });
    expect(page.objects.map((o) => o.key)).toEqual([
      'a\rb',
      'a\nb',
      'tab\there',
      'trailing ',
      'plus+sign',
      'space here',
      'unicodé',
      'pct%2B',
    ]);
    expect(page.objects[0]).toEqual({ key: 'a\rb', etag: '"e"', size: 1, storageClass: 'STANDARD' });
    expect(page.nextContinuationToken).toBeUndefined();
  });

  it('decodes %20 for a space, as LocalStack sends it, and common prefixes', async () => {
    const { s3 } = answeringS3(() => ({
      body: listBucketResult({
        encoded: true,
        keys: ['space%20here'],
        commonPrefixes: ['a%0Db%2F', 'c%20d/'],
      }),
    }));
    const page = await listObjectsPage(s3, { bucket: 'b', delimiter: '/' });
    expect(page.objects.map((o) => o.key)).toEqual(['space here']);
    expect(page.commonPrefixes).toEqual(['a\rb/', 'c d/']);
  });

  it('keeps keys raw when the endpoint did not encode them (no EncodingType in the answer)', async () => {
    const { s3 } = answeringS3(() => ({ body: listBucketResult({ keys: ['a%2Bb', 'c+d'] }) }));
    const page = await listObjectsPage(s3, { bucket: 'b' });
    expect(page.objects.map((o) => o.key)).toEqual(['a%2Bb', 'c+d']);
  });

  it('pages with the continuation token exactly as S3 returned it', async () => {
    const token = '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+%2B';
    const { s3, sent } = answeringS3((request) => ({
      body: request.query['continuation-token']
        ? listBucketResult({ encoded: true, keys: ['second'] })
        : listBucketResult({ encoded: true, keys: ['first'], nextToken: token }),
    }));
    const keys: string[] = [];
    for await (const page of listObjectPages(s3, { bucket: 'b' }))
      keys.push(...page.objects.map((o) => o.key));
    expect(keys).toEqual(['first', 'second']);
    expect(sent.map((r) => r.query['continuation-token'])).toEqual([undefined, token]);
  });

  it('is needed: a raw listing turns a key with \\r into a different key', async () => {
    // What the scan did before: S3 sends the raw character, the SDK's XML parser normalises it.
    const { s3 } = answeringS3(() => ({ body: listBucketResult({ keys: ['a\rb', 'a\r\nb'] }) }));
    const raw = await s3.send(new ListObjectsV2Command({ Bucket: 'b' }));
    expect(raw.Contents?.map((o) => o.Key)).toEqual(['a\nb', 'a\nb']);
  });
});
