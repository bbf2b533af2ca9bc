import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { displayS3Uri, parseS3ObjectUri, parseS3Uri } from '../../../shared/s3-uri.js';

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

  it('takes keys exactly: trailing whitespace, line breaks and tabs are part of the key', () => {
    expect(parseS3ObjectUri('s3://b-1/a ')).toEqual({ bucket: 'b-1', key: 'a ' });
    expect(parseS3ObjectUri('s3://b-1/a\rb')).toEqual({ bucket: 'b-1', key: 'a\rb' });
    expect(parseS3ObjectUri('s3://b-1/a\nb')).toEqual({ bucket: 'b-1', key: 'a\nb' });
    expect(parseS3Uri('s3://b-1/tab\t/ ')).toEqual({ bucket: 'b-1', key: 'tab\t/ ' });
    expect(parseS3Uri('s3://b-1/100%25+x')).toEqual({ bucket: 'b-1', key: '100%25+x' });
  });

  it('refuses a URI with leading whitespace instead of trimming it', () => {
    expect(() => parseS3ObjectUri(' s3://b-1/a')).toThrow(
      /not an S3 URI: " s3:\/\/b-1\/a".*starts with whitespace/,
    );
    expect(() => parseS3Uri('\ts3://b-1')).toThrow(ConfigError);
    expect(() => parseS3Uri('s3://b-1 /a')).toThrow(/not a valid bucket name/);
  });

  it('refuses a version-qualified URI, naming --version-id for one object', () => {
    expect(() => parseS3ObjectUri('s3://b-1/k?versionId=abc')).toThrow(
      'names an object version: use "s3://b-1/k" --version-id abc',
    );
    expect(() => parseS3Uri('s3://b-1/dir/k?versionId=abc')).toThrow(
      /names an object version; this command acts on current versions: give "s3:\/\/b-1\/dir\/k"/,
    );
    expect(() => parseS3Uri('s3://b-1/k?versionId=')).toThrow(ConfigError);
  });

  it('accepts other keys with a question mark', () => {
    expect(parseS3ObjectUri('s3://b-1/what?')).toEqual({ bucket: 'b-1', key: 'what?' });
    expect(parseS3ObjectUri('s3://b-1/q?v=1')).toEqual({ bucket: 'b-1', key: 'q?v=1' });
    expect(parseS3ObjectUri('s3://b-1/a?versionId=1/b')).toEqual({ bucket: 'b-1', key: 'a?versionId=1/b' });
  });

  it('displays a key with control characters or trailing whitespace quoted and escaped', () => {
    expect(displayS3Uri({ bucket: 'b', key: 'plain ü/x y' })).toBe('s3://b/plain ü/x y');
    expect(displayS3Uri({ bucket: 'b', key: 'a\rb' })).toBe('"s3://b/a\\rb"');
    expect(displayS3Uri({ bucket: 'b', key: 'trailing ' })).toBe('"s3://b/trailing "');
  });
});
