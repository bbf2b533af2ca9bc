import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { classifyAwsError, httpStatus, isPreconditionFailed } from '../aws-errors.js';
import { PermanentError, RetryableError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import type { AuditLocation } from './chunk-log-types.js';
import { type ChunkIntent, ChunkIntentSchema } from './chunk-message.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** A stored listing record that does not read as one: it was altered, never retried into work. */
export class ListingRecordError extends PermanentError {}

/**
 * Where a page's membership is kept (docs/architecture.md, "Chunks"):
 * `<prefix>runs/<runId>/listings/<origin path>.jsonl.gz`. Each `:`-separated part of the origin is
 * a path segment, URL-encoded, so a file key's own `/` or `:` never makes two origins one key.
 */
export function listingRecordKey(location: AuditLocation, runId: string, origin: string): string {
  const path = origin.split(':').map(encodeURIComponent).join('/');
  return `${location.prefix}runs/${runId}/listings/${path}.jsonl.gz`;
}

/**
 * Fixes a page's membership once (docs/architecture.md, "Chunks"): writes its intents as
 * gzip JSON Lines with `If-None-Match: *` before any chunk message is queued, and returns them. A
 * redelivered page whose PUT answers 412 gets the stored listing back instead of its own, so chunk
 * `n` of a page has the same members however often the page is delivered, even when the bucket
 * changed in between.
 */
export async function fixMembership(
  s3: S3Client,
  location: AuditLocation,
  runId: string,
  origin: string,
  intents: ChunkIntent[],
): Promise<ChunkIntent[]> {
  const key = listingRecordKey(location, runId, origin);
  const lines = intents.map((intent) => `${canonicalJson(intent)}\n`).join('');
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: key,
        Body: await gzipAsync(Buffer.from(lines, 'utf8')),
        ContentType: 'application/gzip',
        IfNoneMatch: '*',
      }),
    );
    return intents;
  } catch (error) {
    if (isPreconditionFailed(error)) return readListingRecord(s3, location, key);
    const context = { runId };
    // 409 ConditionalRequestConflict: another delivery's PUT of the same record is in flight.
    if (httpStatus(error) === 409) {
      throw new RetryableError(`listing record ${key} is being written by another delivery`, {
        cause: error,
        context,
      });
    }
    throw classifyAwsError(error, `writing listing record s3://${location.bucket}/${key} failed`, context);
  }
}

/** Reads a stored listing record: its intents in the order they were written. */
export async function readListingRecord(
  s3: S3Client,
  location: AuditLocation,
  key: string,
): Promise<ChunkIntent[]> {
  const where = `s3://${location.bucket}/${key}`;
  let gz: Uint8Array;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
    gz = await out.Body!.transformToByteArray();
  } catch (error) {
    throw classifyAwsError(error, `reading listing record ${where} failed`);
  }
  let text: string;
  try {
    text = (await gunzipAsync(gz)).toString('utf8');
  } catch (error) {
    throw new ListingRecordError(`listing record ${where} is not gzip`, { cause: error });
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line, i) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new ListingRecordError(`listing record ${where}: line ${i + 1} is not JSON`);
      }
      const parsed = ChunkIntentSchema.safeParse(json);
      if (!parsed.success) {
        throw new ListingRecordError(`listing record ${where}: line ${i + 1} is not an intent`);
      }
      return parsed.data;
    });
}
