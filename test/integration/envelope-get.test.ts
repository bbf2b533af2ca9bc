import { createHash, randomBytes } from 'node:crypto';
import {
  GetObjectAclCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import type { ChunkRecord } from '../../shared/chunks/chunk-log-types.js';
import { type ChunkDeps, runChunk } from '../../shared/chunks/run-chunk.js';
import { createClients } from '../../shared/clients.js';
import { type EncryptDeps, encryptChunkKind } from '../../shared/jobs/encrypt-object.js';
import { largeObjectRouting } from '../../shared/jobs/large-object-route.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import type { JobResult } from '../../shared/lifecycle/job-result.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { AclInspector } from '../../shared/s3/object-acl.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { oneObjectChunk } from '../helpers/one-object.js';
import {
  createKmsKey,
  describeObject,
  listKeys,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';
import { watchRequests } from '../helpers/watched-requests.js';

// Issue 22: envelope mode decides on the GET's response headers and seals the body that GET holds
// (docs/architecture.md, "Deciding on the GET"). These tests fail on a HEAD-first encrypt path.

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
let otherKeyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('envelope-get');
  keyArn = await createKmsKey(pipeline.clients.kms);
  otherKeyArn = await createKmsKey(pipeline.clients.kms);
});

const WRITES = /^(PutObject|CopyObject|CreateMultipartUpload|CompleteMultipartUpload|UploadPart)/;

async function emptyBucket(label: string) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  return bucket;
}

async function put(bucket: string, key: string, input: Omit<PutObjectCommandInput, 'Bucket' | 'Key'>) {
  const out = await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, ...input }));
  return out.ETag!;
}

function envelopeJob(bucket: string, key: string, etag?: string, runId = newRunId()): EncryptJob {
  return { runId, jobId: `job-${key}-${runId}`, bucket, key, etag, mode: 'envelope', keyArn };
}

/**
 * One object as a chunk of its own, as a listing page sends it: with what the page showed of its
 * instruction file (`undefined`: the page could not tell, as for the last key of a page).
 */
async function sealOne(
  job: EncryptJob,
  deps: EncryptDeps & ChunkDeps,
  instructionFile: boolean | undefined,
): Promise<JobResult> {
  const chunk = oneObjectChunk(job);
  if (instructionFile !== undefined) chunk.intents[0]!.instructionFile = instructionFile;
  const outcome = await runChunk(chunk, encryptChunkKind(deps), deps);
  if (outcome.state !== 'committed') throw new Error(`chunk not committed: ${outcome.state}`);
  return outcome.results[0]!;
}

/** Clients of their own, watched on the wire for `bucket`. */
function watched(bucket: string) {
  const s3 = pipeline.newS3Client();
  const kms = pipeline.newKmsClient();
  return { s3, kms, wire: watchRequests({ s3, kms }, bucket) };
}

/**
 * An ACL inspector for a bucket whose ACLs are in force and whose objects carry no extra grant:
 * the encrypt operation then reads with a HEAD, as every envelope run did before issue 22.
 */
const aclsInForce = {
  usesAcls: async () => true,
  extraGrants: async () => undefined,
} as unknown as AclInspector;

/** A record without what differs between two runs of the same decision. */
function decisionPart(record: ChunkRecord | undefined) {
  expect(record).toBeDefined();
  const { runId: _r, jobId: _j, at: _a, chunkId: _c, ...rest } = record!;
  return rest;
}

describe('an envelope backfill', () => {
  it('sends no HeadObject for the objects it seals: one GET each, each PUT If-Match that GET’s ETag', async () => {
    const bucket = uniqueBucket('eg-backfill');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 40, maxObjectBytes: 8 * 1024 });
    const keys = await listKeys(pipeline.clients.s3, bucket);
    const before = new Map<string, string>();
    for (const key of keys) before.set(key, sha256(await readPlaintext(pipeline.clients, bucket, key)));
    // The pipeline's own client: the one the local run's handlers send with.
    const wire = watchRequests({ s3: pipeline.clients.s3 }, bucket);

    const { run } = await pipeline.backfill(bucket, 'envelope', keyArn);

    expect(run.counts).toMatchObject({ encrypted: keys.length, failed: 0 });
    const toBucket = wire.toBucket();
    expect(toBucket.filter((name) => name === 'HeadObjectCommand')).toEqual([]);
    for (const key of keys) {
      const gets = wire.gets.filter((g) => g.key === key);
      expect(gets, key).toHaveLength(1);
      expect(gets[0]!.ifMatch, key).toBeUndefined();
      const puts = wire.sent.filter((r) => r.name === 'PutObjectCommand' && r.key === key);
      expect(
        puts.map((p) => p.ifMatch),
        key,
      ).toEqual([gets[0]!.etag]);
      // Streamed into the seal, not abandoned.
      expect(gets[0]!.resumedAt, key).toBeDefined();
      expect(sha256(await readPlaintext(pipeline.clients, bucket, key)), key).toBe(before.get(key));
    }
    const records = await pipeline.trail.byKey(run.runId);
    for (const key of keys) {
      const get = wire.gets.find((g) => g.key === key)!;
      expect(records.get(key), key).toMatchObject({ decision: 'encrypted', etagBefore: get.etag });
    }
  });
});

describe('the seal of the GET the decision was made on', () => {
  it('holds the body across the seal’s own data key and tag read only, then streams it', async () => {
    const bucket = await emptyBucket('eg-hold');
    const body = randomBytes(64 * 1024);
    const etag = await put(bucket, 'tagged.bin', {
      Body: body,
      Tagging: 'team=a',
      Metadata: { owner: 'alice' },
    });
    const { s3, kms, wire } = watched(bucket);

    const job = envelopeJob(bucket, 'tagged.bin', etag);
    expect(await sealOne(job, pipeline.encryptDeps({ s3, kms }), false)).toMatchObject({
      outcome: 'encrypted',
    });

    expect(wire.toBucket().filter((n) => n === 'HeadObjectCommand')).toEqual([]);
    expect(wire.gets).toHaveLength(1);
    const get = wire.gets[0]!;
    expect(get.etag).toBe(etag);
    // Exactly what the seal's own GET was held across before: its data key, then the tags it carries.
    expect(wire.sentWhileHeld(get)).toEqual(['GenerateDataKeyCommand', 'GetObjectTaggingCommand']);
    expect(get.resumedAt).toBeDefined();
    console.log(`body held ${wire.heldMs(get).toFixed(1)} ms before the seal read it`);
    expect(wire.sent.find((r) => r.name === 'PutObjectCommand')?.ifMatch).toBe(etag);
    expect(
      createHash('sha256')
        .update(await readPlaintext(pipeline.clients, bucket, 'tagged.bin'))
        .digest('hex'),
    ).toBe(sha256(body));
    const after = await describeObject(pipeline.clients.s3, bucket, 'tagged.bin');
    expect(after.userMetadata).toEqual({ owner: 'alice' });
    expect(after.tags).toEqual({ team: 'a' });
  });

  it('lets a user write made after its GET win: superseded, and the user’s bytes stay', async () => {
    const bucket = await emptyBucket('eg-race');
    const etag = await put(bucket, 'doc.txt', { Body: 'bytes we read' });
    const { s3, kms, wire } = watched(bucket);
    const newer = `the user's newer bytes ${Date.now()}`;
    let raced = false;
    // Right after the decision's GET answers, a user overwrites the object through another path.
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (String(context.commandName) === 'GetObjectCommand' && !raced) {
          raced = true;
          await pipeline.clients.s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: newer }),
          );
        }
        return out;
      },
      { step: 'initialize', name: 'overwriteAfterGet' },
    );
    const job = envelopeJob(bucket, 'doc.txt', etag);

    expect(await sealOne(job, pipeline.encryptDeps({ s3, kms }), false)).toEqual({
      outcome: 'superseded',
      reason: 'object-changed',
    });

    expect(raced).toBe(true);
    expect(wire.toBucket().filter((n) => n === 'HeadObjectCommand')).toEqual([]);
    const puts = wire.sent.filter((r) => r.name === 'PutObjectCommand' && r.bucket === bucket);
    expect(puts.map((r) => r.ifMatch)).toEqual([etag]);
    expect((await readPlaintext(pipeline.clients, bucket, 'doc.txt')).toString()).toBe(newer);
    expect(await pipeline.trail.decisionOf(job.runId, bucket, 'doc.txt')).toMatchObject({
      decision: 'superseded',
      reason: 'object changed during processing',
      etagBefore: etag,
    });
  });

  it('seals what the GET shows when the object changed since its listing, If-Match those bytes', async () => {
    const bucket = await emptyBucket('eg-stale');
    const listed = await put(bucket, 'doc.txt', { Body: 'bytes the listing saw' });
    const current = await put(bucket, 'doc.txt', { Body: 'bytes written since' });
    const { s3, kms, wire } = watched(bucket);
    const job = envelopeJob(bucket, 'doc.txt', listed);

    expect(await sealOne(job, pipeline.encryptDeps({ s3, kms }), false)).toMatchObject({
      outcome: 'encrypted',
    });

    // The listing's word on the sibling was for other bytes: its HEAD is asked, with no body held,
    // and the seal reads the object again If-Match the ETag it decided on.
    const [first, second] = wire.gets;
    expect(wire.gets).toHaveLength(2);
    expect(first!.etag).toBe(current);
    expect(first!.resumedAt).toBeUndefined();
    const siblingHead = wire.sent.find((r) => r.name === 'HeadObjectCommand')!;
    expect(siblingHead.key).toBe('doc.txt.instruction');
    expect(first!.closedAt).toBeLessThan(siblingHead.at);
    expect(second!.ifMatch).toBe(current);
    expect(wire.sent.find((r) => r.name === 'PutObjectCommand')?.ifMatch).toBe(current);
    expect((await readPlaintext(pipeline.clients, bucket, 'doc.txt')).toString()).toBe('bytes written since');
    expect(await pipeline.trail.decisionOf(job.runId, bucket, 'doc.txt')).toMatchObject({
      decision: 'encrypted',
      etagBefore: current,
    });
  });
});

describe('a large object', () => {
  it('is handed to the large-object queue with its GET body let go unread before the message leaves', async () => {
    const bucket = await emptyBucket('eg-large');
    const etag = await put(bucket, 'big.bin', { Body: randomBytes(64 * 1024) });
    const { s3, kms } = watched(bucket);
    const sqs = createClients(pipeline.config).sqs;
    const wire = watchRequests({ s3, kms, sqs }, bucket);
    const largeObjects = largeObjectRouting({ largeObjectBytes: 1024 }, sqs, pipeline.queues.large);
    const job = envelopeJob(bucket, 'big.bin', etag);

    const result = await sealOne(job, pipeline.encryptDeps({ s3, kms, largeObjects }), false);

    expect(result).toMatchObject({ outcome: 'duplicate', detail: 'handed to the large-object queue' });
    expect(wire.toBucket()).toEqual(['GetObjectCommand']);
    const [get] = wire.gets;
    expect(get!.resumedAt).toBeUndefined();
    const sent = wire.sent.find((r) => r.name === 'SendMessageCommand')!;
    expect(get!.closedAt).toBeLessThan(sent.at);
    expect(wire.sentWhileHeld(get!)).toEqual([]);
    expect((await describeObject(pipeline.clients.s3, bucket, 'big.bin')).etag).toBe(etag);
  });
});

describe('ACLs', () => {
  it('a bucket whose ACLs are in force is read with a HEAD, its ACL before the seal’s GET; --keep-acl carries the grants', async () => {
    const bucket = await emptyBucket('eg-acl');
    await pipeline.clients.s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
      }),
    );
    const etag = await put(bucket, 'public.txt', { Body: 'shared bytes', ACL: 'public-read' });
    const { s3, kms, wire } = watched(bucket);
    const job = { ...envelopeJob(bucket, 'public.txt', etag), keepAcl: true };

    const result = await sealOne(job, pipeline.encryptDeps({ s3, kms, acl: new AclInspector(s3) }), false);

    expect(result).toMatchObject({ outcome: 'encrypted' });
    expect(wire.toBucket()).toEqual([
      'GetBucketOwnershipControlsCommand',
      'HeadObjectCommand',
      'GetObjectAclCommand',
      'GetObjectCommand',
      'PutObjectCommand',
      // Unversioned: the grants go back only on our write, still current (carry-acl.ts).
      'HeadObjectCommand',
      'PutObjectAclCommand',
    ]);
    const [get] = wire.gets;
    expect(get!.ifMatch).toBe(etag);
    expect(wire.sentWhileHeld(get!)).toEqual(['GenerateDataKeyCommand']);
    const grants = (
      await pipeline.clients.s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'public.txt' }))
    ).Grants;
    expect(grants?.some((g) => g.Grantee?.URI?.endsWith('/AllUsers') && g.Permission === 'READ')).toBe(true);
    expect((await readPlaintext(pipeline.clients, bucket, 'public.txt')).toString()).toBe('shared bytes');
  });

  it('a bucket that enforces owner ownership is read with the GET: its ownership asked once, before', async () => {
    const bucket = await emptyBucket('eg-owner');
    await pipeline.clients.s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    const etag = await put(bucket, 'doc.txt', { Body: 'bytes' });
    const { s3, kms, wire } = watched(bucket);
    const job = { ...envelopeJob(bucket, 'doc.txt', etag), keepAcl: true };

    const result = await sealOne(job, pipeline.encryptDeps({ s3, kms, acl: new AclInspector(s3) }), false);

    expect(result).toMatchObject({ outcome: 'encrypted' });
    expect(wire.toBucket()).toEqual([
      'GetBucketOwnershipControlsCommand',
      'GetObjectCommand',
      'PutObjectCommand',
    ]);
    expect(wire.sentWhileHeld(wire.gets[0]!)).toEqual(['GenerateDataKeyCommand']);
  });
});

/** An object that needs no write, and how to make it. */
interface NoWriteCase {
  name: string;
  key: string;
  decision: string;
  reason: string;
  /** S3 refuses the GET: the decision is made on a HEAD, as before. */
  refused?: number;
  /** What the listing showed of its instruction file (default: absent). */
  instructionFile?: boolean;
  make(bucket: string): Promise<void>;
}

const ssecKey = randomBytes(32);
const ssecParams = {
  SSECustomerAlgorithm: 'AES256',
  SSECustomerKey: ssecKey.toString('base64'),
  SSECustomerKeyMD5: createHash('md5').update(ssecKey).digest('base64'),
};

const NO_WRITE: NoWriteCase[] = [
  {
    name: 'an envelope under the policy key',
    key: 'mine.bin',
    decision: 'compliant',
    reason: 'client-side envelope (S3EC v3)',
    make: async (bucket) => {
      await putEnvelopeObject(pipeline.clients, {
        bucket,
        key: 'mine.bin',
        body: Buffer.from('sealed by an application'),
        keyArn,
        format: 'v3',
      });
    },
  },
  {
    name: 'an envelope under another key',
    key: 'theirs.bin',
    decision: 'skipped',
    reason: 'wrapped-under-another-key',
    make: async (bucket) => {
      await putEnvelopeObject(pipeline.clients, {
        bucket,
        key: 'theirs.bin',
        body: Buffer.from('sealed elsewhere'),
        keyArn: otherKeyArn,
        format: 'v2',
      });
    },
  },
  {
    name: 'an S3EC instruction file',
    key: 'data.bin.instruction',
    decision: 'skipped',
    reason: 's3ec-instruction-file',
    make: async (bucket) => {
      await put(bucket, 'data.bin.instruction', { Body: '{"x-amz-key-v2":"AQID"}' });
    },
  },
  {
    name: 'an object with an instruction file',
    key: 'data.bin',
    decision: 'skipped',
    reason: 'has-instruction-file',
    // The page could not tell (the last key of a page): the sibling's HEAD decides.
    instructionFile: undefined,
    make: async (bucket) => {
      await put(bucket, 'data.bin', { Body: 'ciphertext whose key is in the sibling' });
      await put(bucket, 'data.bin.instruction', { Body: '{"x-amz-key-v2":"AQID"}' });
    },
  },
  {
    name: 'an S3EC V1 object',
    key: 'v1.txt',
    decision: 'skipped',
    reason: 'unreadable-client-side-format',
    make: async (bucket) => {
      await put(bucket, 'v1.txt', {
        Body: 'v1 ciphertext',
        Metadata: { 'x-amz-key': 'AQID', 'x-amz-iv': 'AAAAAAAAAAAAAAAA' },
      });
    },
  },
  {
    name: 'malformed envelope metadata',
    key: 'fake-v2.txt',
    decision: 'skipped',
    reason: 'malformed-envelope',
    make: async (bucket) => {
      await put(bucket, 'fake-v2.txt', { Body: 'plain?', Metadata: { 'x-amz-key-v2': 'AQID' } });
    },
  },
  {
    name: 'an archived (GLACIER) object',
    key: 'cold.txt',
    decision: 'skipped',
    reason: 'archived',
    refused: 403,
    make: async (bucket) => {
      await put(bucket, 'cold.txt', { Body: 'cold data', StorageClass: 'GLACIER', Metadata: { a: 'b' } });
    },
  },
  {
    name: 'an SSE-C object, without its key',
    key: 'ssec.bin',
    decision: 'skipped',
    reason: 'sse-c',
    refused: 400,
    make: async (bucket) => {
      await put(bucket, 'ssec.bin', { Body: 'customer-keyed', ...ssecParams });
    },
  },
];

describe('an object that needs no write', () => {
  it.each(NO_WRITE)('$name: decided as a HEAD decides it, its GET body let go unread', async (c) => {
    const bucket = await emptyBucket('eg-nowrite');
    await c.make(bucket);
    const etag = (await describeObject(pipeline.clients.s3, bucket, c.key).catch(() => undefined))?.etag;
    const runs = { get: newRunId(), head: newRunId() };
    const { s3, kms, wire } = watched(bucket);

    // The decision on a GET, and the same object decided on a HEAD (the read before issue 22).
    const listed = 'instructionFile' in c ? c.instructionFile : false;
    const onGet = await sealOne(
      envelopeJob(bucket, c.key, etag, runs.get),
      pipeline.encryptDeps({ s3, kms }),
      listed,
    );
    const getWire = { sent: [...wire.sent], gets: [...wire.gets] };
    const onHead = await sealOne(
      envelopeJob(bucket, c.key, etag, runs.head),
      pipeline.encryptDeps({ acl: aclsInForce }),
      listed,
    );

    expect(onGet).toEqual(onHead);
    const recordOnGet = await pipeline.trail.decisionOf(runs.get, bucket, c.key);
    expect(recordOnGet).toMatchObject({ decision: c.decision, reason: c.reason });
    expect(decisionPart(recordOnGet)).toEqual(
      decisionPart(await pipeline.trail.decisionOf(runs.head, bucket, c.key)),
    );
    expect(getWire.sent.filter((r) => r.bucket === bucket && WRITES.test(r.name))).toEqual([]);
    const [get, ...more] = getWire.gets.filter((g) => g.key === c.key);
    expect(more).toEqual([]);
    if (c.refused) {
      // Refused (archived: InvalidObjectState; SSE-C: the key is missing): a HEAD decides.
      expect(get!.refused).toBe(c.refused);
      expect(getWire.sent.some((r) => r.name === 'HeadObjectCommand' && r.key === c.key)).toBe(true);
    } else {
      expect(get!.etag).toBe(etag);
      expect(get!.resumedAt).toBeUndefined();
      expect(get!.closedAt).toBeDefined();
      expect(getWire.sent.some((r) => r.name === 'HeadObjectCommand' && r.key === c.key)).toBe(false);
      // No request went out while the body was held.
      expect(wire.sentWhileHeld(get!)).toEqual([]);
    }
  });

  it('a missing object stays skipped missing, with one GET and no HEAD', async () => {
    const bucket = await emptyBucket('eg-missing');
    const { s3, kms, wire } = watched(bucket);
    const job = envelopeJob(bucket, 'gone.txt', '"0123"');
    expect(await sealOne(job, pipeline.encryptDeps({ s3, kms }), false)).toEqual({
      outcome: 'skipped',
      reason: 'missing',
    });
    expect(wire.toBucket()).toEqual(['GetObjectCommand']);
    expect(await pipeline.trail.decisionOf(job.runId, bucket, 'gone.txt')).toMatchObject({
      decision: 'skipped',
      reason: 'missing',
    });
  });
});
