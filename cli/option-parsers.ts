import { InvalidArgumentError } from 'commander';
import { parseBucketName } from '../shared/s3-uri.js';

/**
 * Parsers for numeric and time options. Commander calls them while it parses the command line, so
 * a bad value ends the command (exit 1, the flag named in the message) before its action runs:
 * nothing is recorded, queued or written. `Number('')` is 0 and `parseInt('3abc')` is 3, so each
 * parser accepts only the whole literal it documents.
 */

const INTEGER = /^[+]?\d+$/;
const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)$/;

function describeRange(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
}

/** A parser for a whole number in [min, max]. */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const text = value.trim();
    const n = INTEGER.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number ${describeRange(min, max)}.`);
    }
    return n;
  };
}

/** A parser for a number of seconds (fractions allowed) in [min, max]. */
export function secondsIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const text = value.trim();
    const n = DECIMAL.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number of seconds ${describeRange(min, max)}.`);
    }
    return n;
  };
}

/**
 * Pollers or objects worked at once. Each poller holds up to ten messages and one SQS long poll;
 * past a few hundred a single process only queues work behind its own sockets.
 */
export const parseConcurrency = integerIn(1, 256);

/**
 * An SQS visibility timeout: ReceiveMessage accepts 0 to 43,200 seconds (12 hours), see the SQS
 * API Reference, ReceiveMessage. 0 would hand a batch in progress to another worker at once.
 */
export const parseVisibilitySeconds = integerIn(1, 43_200);

/**
 * A point in time as ISO 8601 with a date (`2026-01-31`, `2026-01-31T12:00:00Z`), returned
 * normalised to UTC. `new Date('5')` is the year 2005: bare numbers and free text are refused.
 */
export function parseIsoTime(value: string): string {
  const text = value.trim();
  const match = /^(\d{4})-(\d{2})-(\d{2})([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  const time = match ? new Date(text) : new Date(Number.NaN);
  // Date rolls 2026-02-31 over to March 3: the calendar day itself must exist.
  const day = match && new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  const dayExists =
    day && day.getUTCMonth() === Number(match[2]) - 1 && day.getUTCDate() === Number(match[3]);
  if (Number.isNaN(time.getTime()) || !dayExists) {
    throw new InvalidArgumentError('expected an ISO 8601 time, such as 2026-01-31 or 2026-01-31T12:00:00Z.');
  }
  return time.toISOString();
}

/** A bucket name (`--bucket`): valid by S3's naming rules, and not an S3 URI. */
export function bucketName(value: string): string {
  try {
    return parseBucketName(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}
