import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface SeedOptions {
  objects: number;
  /** Size of the one large object (0 for none). */
  largeObjectBytes?: number;
  /** Largest size of the ordinary objects. */
  maxObjectBytes?: number;
  concurrency?: number;
}

export interface SeedResult {
  objects: number;
  bytes: number;
  sampleKey: string;
  /** SHA-256 of every object's bytes, by key: what a round-trip must give back. */
  digests: Map<string, string>;
}

/** Deterministic bytes for a key, so a seeded bucket is reproducible and checkable. */
export function contentFor(key: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(key).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Keys that have broken S3 tools before: spaces, '+', unicode, deep prefixes, a zero-byte object. */
export const AWKWARD_KEYS = [
  'docs/quarterly report 2024.txt',
  'a+b/c+d=e&f.csv',
  'unicode/café/naïve-日本語-😀.txt',
  'deep/a/b/c/d/e/f/g/h/i/j/leaf.bin',
  'empty/zero-byte',
  'spaces  and  tabs\t/x.txt',
];

/**
 * Creates `bucket` and fills it with unencrypted objects of mixed sizes, user metadata, standard
 * headers and tags. The bucket's default encryption is removed first where the endpoint allows it,
 * so objects are stored as legacy, pre-2023 objects were: with no encryption at all.
 */
export async function seedBucket(s3: S3Client, bucket: string, options: SeedOptions): Promise<SeedResult> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })).catch(() => undefined);
  const maxBytes = options.maxObjectBytes ?? 64 * 1024;
  const specs: Array<Omit<PutObjectCommandInput, 'Bucket'>> = [];
  const large = options.largeObjectBytes ?? 0;
  const awkward = AWKWARD_KEYS.slice(0, Math.max(0, options.objects - (large > 0 ? 1 : 0)));
  for (const key of awkward)
    specs.push({ Key: key, Body: contentFor(key, key.startsWith('empty/') ? 0 : 1000) });
  if (large > 0)
    specs.push({
      Key: 'large/multipart-sized.bin',
      Body: contentFor('large', large),
      ContentType: 'application/octet-stream',
    });
  for (let i = 0; specs.length < options.objects; i++) {
    const key = `data/${String(i % 17).padStart(2, '0')}/object-${String(i).padStart(6, '0')}.json`;
    // Sizes spread over 0..maxBytes, skewed small like most buckets.
    const size = Math.floor((maxBytes * ((i * 7919) % 1000) ** 2) / 1_000_000);
    const spec: Omit<PutObjectCommandInput, 'Bucket'> = {
      Key: key,
      Body: contentFor(key, size),
      ContentType: 'application/json',
    };
    if (i % 5 === 0) spec.Metadata = { owner: 'team-data', 'source-system': `batch-${i % 3}` };
    if (i % 7 === 0) spec.Tagging = `classification=internal&index=${i}`;
    if (i % 11 === 0) spec.CacheControl = 'max-age=3600';
    specs.push(spec);
  }
  const digests = new Map<string, string>();
  let bytes = 0;
  const concurrency = options.concurrency ?? 32;
  for (let i = 0; i < specs.length; i += concurrency) {
    await Promise.all(
      specs.slice(i, i + concurrency).map(async (spec) => {
        await s3.send(new PutObjectCommand({ ...spec, Bucket: bucket }));
        const body = spec.Body as Buffer;
        digests.set(spec.Key!, createHash('sha256').update(body).digest('hex'));
        bytes += body.length;
      }),
    );
  }
  return { objects: specs.length, bytes, sampleKey: AWKWARD_KEYS[0]!, digests };
}

export const seedDemoBucket = seedBucket;
