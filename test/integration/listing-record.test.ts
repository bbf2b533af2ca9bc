import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditLocation } from '../../shared/chunks/chunk-log-types.js';
import type { ChunkIntent } from '../../shared/chunks/chunk-message.js';
import {
  fixMembership,
  ListingRecordError,
  listingRecordKey,
  readListingRecord,
} from '../../shared/chunks/listing-record.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { newRunId } from '../../shared/runs/run-store.js';

/**
 * A page's membership is fixed once (docs/architecture.md, "Chunks"): the first delivery
 * stores its listing; a later one, whatever it listed, gets the stored listing back.
 */
const { clients } = handlerRuntime();
const s3 = clients.s3;
let location: AuditLocation;
// Not the pipeline helper's: this test needs S3 only, not the whole pipeline.
const uniqueBucket = (label: string) => `it-${label}-${Date.now()}-${randomUUID().slice(0, 4)}`;

beforeAll(async () => {
  location = { bucket: uniqueBucket('listing-record'), prefix: 'audit/' };
  await s3.send(new CreateBucketCommand({ Bucket: location.bucket }));
});

const intents = (keys: string[]): ChunkIntent[] =>
  keys.map((key, i) => ({ key, etag: `"e${i}"`, size: i * 10 }));

async function storedBytes(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

describe('listing records', () => {
  it("stores the first delivery's listing as gzip JSON Lines, one intent a line, in order", async () => {
    const runId = newRunId();
    const first = intents(['b', 'a', 'line\nbreak \uFFFF', 'c']);
    expect(await fixMembership(s3, location, runId, 'listing:chain1:7', first)).toEqual(first);
    const key = listingRecordKey(location, runId, 'listing:chain1:7');
    expect(key).toBe(`audit/runs/${runId}/listings/listing/chain1/7.jsonl.gz`);
    const lines = gunzipSync(await storedBytes(key))
      .toString('utf8')
      .split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
    expect(lines.slice(0, 4).map((line) => JSON.parse(line))).toEqual(first);
    expect(lines[0]).toBe('{"etag":"\\"e0\\"","key":"b","size":0}');
  });

  it('gives a second delivery with a different listing the first listing, and leaves the record as it was', async () => {
    const runId = newRunId();
    const origin = 'listing:chain1:2';
    const first = intents(['a', 'b', 'c']);
    await fixMembership(s3, location, runId, origin, first);
    const key = listingRecordKey(location, runId, origin);
    const before = await storedBytes(key);
    // The bucket changed in between: b was deleted, d was written.
    const again = await fixMembership(s3, location, runId, origin, intents(['a', 'c', 'd']));
    expect(again).toEqual(first);
    expect(await storedBytes(key)).toEqual(before);
    // Another page, or another run, is another record.
    expect(await fixMembership(s3, location, runId, 'listing:chain1:3', intents(['d']))).toEqual(
      intents(['d']),
    );
    expect(await fixMembership(s3, location, newRunId(), origin, intents(['x']))).toEqual(intents(['x']));
  });

  it('fixes an empty page too: a later delivery that finds objects gets the empty listing', async () => {
    const runId = newRunId();
    expect(await fixMembership(s3, location, runId, 'listing:c:1', [])).toEqual([]);
    expect(await fixMembership(s3, location, runId, 'listing:c:1', intents(['late']))).toEqual([]);
  });

  it("keeps an inventory file key's own separators apart from the origin's", async () => {
    const runId = newRunId();
    const slash = 'inventory:inv/data/a:b.csv.gz:0:1';
    expect(listingRecordKey(location, runId, slash)).toBe(
      `audit/runs/${runId}/listings/inventory/inv%2Fdata%2Fa/b.csv.gz/0/1.jsonl.gz`,
    );
    expect(listingRecordKey(location, runId, 'inventory:inv:data/a:b.csv.gz:0:1')).not.toBe(
      listingRecordKey(location, runId, slash),
    );
    await fixMembership(s3, location, runId, slash, intents(['k']));
    expect(await fixMembership(s3, location, runId, slash, intents(['other']))).toEqual(intents(['k']));
  });

  it('refuses a stored record that does not read as a listing, naming it', async () => {
    const runId = newRunId();
    const key = listingRecordKey(location, runId, 'listing:c:9');
    await s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: key, Body: 'not gzip' }));
    await expect(fixMembership(s3, location, runId, 'listing:c:9', intents(['a']))).rejects.toThrow(
      ListingRecordError,
    );
    await expect(readListingRecord(s3, location, key)).rejects.toThrow(/is not gzip/);
  });
});
