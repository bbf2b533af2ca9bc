import { describe, expect, it } from 'vitest';
import { queueBody, queueText } from '../../../shared/sqs-text.js';

// What SQS accepts (SQS API Reference, SendMessage): anything else fails the whole request.
const SQS_ALLOWED = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

describe('queueBody', () => {
  it.each([
    'x\uFFFFy',
    'x\uFFFEy',
    'a\rb\nc\td\u0001e\u007f',
    'lone \uD800 surrogate',
    'pair 😀',
    'trailing ',
  ])('is JSON SQS accepts that parses back to the exact key %j', (key) => {
    const body = queueBody({ key });
    expect(body).toMatch(SQS_ALLOWED);
    expect(JSON.parse(body)).toEqual({ key });
  });
});

describe('queueText', () => {
  it('escapes what SQS refuses and keeps the rest', () => {
    expect(queueText('no policy covers s3://b/c\u0001d\uFFFF 😀', 1000)).toBe(
      'no policy covers s3://b/c\\u0001d\\uffff 😀',
    );
    expect(queueText('tab\there\r\n', 1000)).toBe('tab\there\r\n');
  });

  it('cuts to the length without splitting a surrogate pair', () => {
    expect(queueText('ab😀', 3)).toBe('ab');
    expect(queueText('ab😀', 4)).toBe('ab😀');
    expect(queueText('abcdef', 3)).toBe('abc');
  });
});
