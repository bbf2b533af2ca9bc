import { describe, expect, it } from 'vitest';
import { decodeEventKey, parseS3Message } from '../../../../shared/events/s3-event.js';
import { MalformedMessageError } from '../../../../shared/jobs/messages.js';

const record = (overrides: Record<string, unknown> = {}, key = 'a+b%2Bc/%C3%BC.txt') => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  eventName: 'ObjectCreated:Put',
  eventTime: '2026-11-22T10:00:00.000Z',
  s3: {
    bucket: { name: 'my-bucket', arn: 'arn:aws:s3:::my-bucket' },
    object: { key, size: 5, eTag: 'e1', sequencer: '0A' },
  },
  ...overrides,
});

describe('decodeEventKey', () => {
  it('turns + into a space and %2B into a plus, as S3 form-encodes keys', () => {
    expect(decodeEventKey('a+b%2Bc/%C3%BC.txt')).toBe('a b+c/ü.txt');
  });

  // S3 percent-encodes what a form cannot carry raw: control characters, a plus, a percent sign.
  it.each([
    ['a%0Db', 'a\rb'],
    ['a%0Ab', 'a\nb'],
    ['a%0D%0Ab', 'a\r\nb'],
    ['tab%09here', 'tab\there'],
    ['trailing+', 'trailing '],
    ['trailing++', 'trailing  '],
    ['+leading', ' leading'],
    ['plus%2Bsign', 'plus+sign'],
    ['literal%252B', 'literal%2B'],
    ['space+here', 'space here'],
  ])('decodes %j to the exact key %j', (encoded, key) => {
    expect(decodeEventKey(encoded)).toBe(key);
    const parsed = parseS3Message(JSON.stringify({ Records: [record({}, encoded)] }));
    expect(parsed.kind === 'created' && parsed.objects[0]!.key).toBe(key);
  });
});

describe('parseS3Message', () => {
  it('decodes ObjectCreated records and ignores fields it does not know', () => {
    const parsed = parseS3Message(JSON.stringify({ Records: [record({ newField: { x: 1 } })] }));
    expect(parsed).toEqual({
      kind: 'created',
      objects: [
        {
          bucket: 'my-bucket',
          key: 'a b+c/ü.txt',
          eventName: 'ObjectCreated:Put',
          eTag: 'e1',
          size: 5,
          sequencer: '0A',
        },
      ],
    });
  });

  it('recognises the s3:TestEvent S3 sends when notifications are saved', () => {
    const body = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: 'x',
      Bucket: 'my-bucket',
    });
    expect(parseS3Message(body)).toEqual({ kind: 'test-event', bucket: 'my-bucket' });
  });

  it('skips records that are not ObjectCreated', () => {
    const parsed = parseS3Message(
      JSON.stringify({ Records: [record({ eventName: 'ObjectRemoved:Delete' })] }),
    );
    expect(parsed).toEqual({ kind: 'created', objects: [] });
  });

  it.each([
    ['not JSON', 'garbage{', /not JSON/],
    ['no Records', JSON.stringify({ hello: 'world' }), /no Records/],
    ['another major version', JSON.stringify({ Records: [record({ eventVersion: '3.0' })] }), /version 3\.0/],
    [
      'a record without a key',
      JSON.stringify({ Records: [{ ...record(), s3: { bucket: { name: 'b-1' }, object: {} } }] }),
      /s3\.object\.key/,
    ],
    ['a broken percent-encoding', JSON.stringify({ Records: [record({}, 'bad%E0%A4%A')] }), /URL-encoded/],
  ])('rejects %s as malformed', (_label, body, message) => {
    expect(() => parseS3Message(body)).toThrow(MalformedMessageError);
    expect(() => parseS3Message(body)).toThrow(message);
  });
});
