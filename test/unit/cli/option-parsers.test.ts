import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  bucketName,
  integerIn,
  parseConcurrency,
  parseIsoTime,
  parseVisibilitySeconds,
  secondsIn,
} from '../../../cli/option-parsers.js';

describe('integer options', () => {
  it('accepts whole numbers in range', () => {
    expect(parseConcurrency('1')).toBe(1);
    expect(parseConcurrency('16')).toBe(16);
    expect(parseConcurrency(' 256 ')).toBe(256);
    expect(parseVisibilitySeconds('43200')).toBe(43_200);
    expect(integerIn(0)('0')).toBe(0);
  });

  it.each([
    'abc',
    '0',
    '-3',
    '1.5',
    '',
    ' ',
    '3abc',
    '0x10',
    '1e2',
    'Infinity',
    'NaN',
    '257',
    '99999999999999999999',
  ])('refuses --concurrency %j with a message naming the range', (value) => {
    expect(() => parseConcurrency(value)).toThrow(InvalidArgumentError);
    expect(() => parseConcurrency(value)).toThrow('expected a whole number from 1 to 256.');
  });

  it('refuses a visibility timeout SQS would refuse, or one that hands a batch on at once', () => {
    expect(() => parseVisibilitySeconds('0')).toThrow(InvalidArgumentError);
    expect(() => parseVisibilitySeconds('43201')).toThrow('from 1 to 43200');
  });

  it('states an open range as a lower bound', () => {
    expect(() => integerIn(1)('0')).toThrow('expected a whole number at least 1.');
  });
});

describe('seconds options', () => {
  it('accepts fractions in range', () => {
    expect(secondsIn(0.1, 3600)('0.5')).toBe(0.5);
    expect(secondsIn(0.1, 3600)('.5')).toBe(0.5);
    expect(secondsIn(0)('0')).toBe(0);
    expect(secondsIn(0)('2.')).toBe(2);
  });

  it.each(['abc', '-1', '', '1e3', '0.05', '3601', 'Infinity'])('refuses %j', (value) => {
    expect(() => secondsIn(0.1, 3600)(value)).toThrow('expected a number of seconds from 0.1 to 3600.');
  });
});

describe('time options', () => {
  it('normalises ISO 8601 times to UTC', () => {
    expect(parseIsoTime('2026-01-31')).toBe('2026-01-31T00:00:00.000Z');
    expect(parseIsoTime('2026-01-31T12:00:00Z')).toBe('2026-01-31T12:00:00.000Z');
    expect(parseIsoTime('2026-01-31T12:00:00+02:00')).toBe('2026-01-31T10:00:00.000Z');
  });

  it.each([
    '5',
    'yesterday',
    '2026-02-31',
    '2026-02-30T00:00:00Z',
    '2026-13-01',
    '2026-01-31T25:00:00Z',
    '',
  ])('refuses %j', (value) => {
    expect(() => parseIsoTime(value)).toThrow(InvalidArgumentError);
  });
});

describe('through commander', () => {
  /** A command like the real ones: the action must never run on a bad value. */
  function parse(args: string[]) {
    let ran = false;
    let stderr = '';
    const program = new Command()
      .exitOverride()
      .configureOutput({ writeErr: (text) => (stderr += text) })
      .option('--concurrency <n>', 'pollers', parseConcurrency, 4)
      .action(() => {
        ran = true;
      });
    try {
      program.parse(args, { from: 'user' });
      return { ran, stderr, value: program.opts().concurrency, exitCode: 0 };
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      return { ran, stderr, value: undefined, exitCode: error.exitCode };
    }
  }

  it('uses the number default and parses a given value', () => {
    expect(parse([])).toMatchObject({ ran: true, value: 4 });
    expect(parse(['--concurrency', '8'])).toMatchObject({ ran: true, value: 8 });
  });

  it('exits non-zero naming the flag and the value, without running the action', () => {
    const out = parse(['--concurrency', 'abc']);
    expect(out.ran).toBe(false);
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain("option '--concurrency <n>' argument 'abc' is invalid");
  });
});

describe('bucket name options', () => {
  it('accepts a bucket name and refuses an invalid name or an S3 URI, saying which', () => {
    expect(bucketName('my-bucket.logs')).toBe('my-bucket.logs');
    expect(() => bucketName('UPPER')).toThrow('not a valid bucket name: "UPPER"');
    expect(() => bucketName('s3://my-bucket')).toThrow('--bucket takes a bucket name, not an S3 URI');
  });
});
