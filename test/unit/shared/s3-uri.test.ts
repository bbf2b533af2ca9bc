import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { parseS3ObjectUri, parseS3Uri } from '../../../shared/s3-uri.js';

describe('S3 URIs', () => {
  it('parses a bucket, a prefix and a key with spaces and unicode', () => {
    expect(parseS3Uri('s3://my-bucket')).toEqual({ bucket: 'my-bucket', key: '' });
    expect(parseS3Uri('s3://my-bucket/')).toEqual({ bucket: 'my-bucket', key: '' });
    expect(parseS3Uri('s3://my.bucket-1/logs/2024 q1/ü')).toEqual({
      bucket: 'my.bucket-1',
      key: 'logs/2024 q1/ü',
    });
  });

  it.each([
    'my-bucket/key',
    'https://my-bucket/key',
    's3://',
    's3://My_Bucket',
    's3://ab',
  ])('rejects %j', (uri) => {
    expect(() => parseS3Uri(uri)).toThrow(ConfigError);
  });

  it('requires a key where one object is meant', () => {
    expect(parseS3ObjectUri('s3://b-1/k')).toEqual({ bucket: 'b-1', key: 'k' });
    expect(() => parseS3ObjectUri('s3://b-1')).toThrow(/names a bucket, not an object/);
  });
});
