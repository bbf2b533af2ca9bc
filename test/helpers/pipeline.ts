import { createHash, randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, GetObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { runLocally } from '../../cli/local-run.js';
import { DynamoDbChunkStore } from '../../shared/chunks/dynamodb-chunk-store.js';
import { fixMembership } from '../../shared/chunks/listing-record.js';
import type { ChunkDeps } from '../../shared/chunks/run-chunk.js';
import { createClients } from '../../shared/clients.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { openObject } from '../../shared/envelope/open-object.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { ensureAuditTrail, ensureQueues, ensureTables } from '../../shared/infra/provision.js';
import type { EncryptDeps } from '../../shared/jobs/encrypt-object.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { resolveQueueUrls } from '../../shared/queues.js';
import { AliasTargets } from '../../shared/rewrap/alias-targets.js';
import type { RotationPlannerDeps } from '../../shared/rewrap/rotation-planner.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { processShardPool } from '../../shared/runs/shard-pool.js';
import { listObjectPages } from '../../shared/s3/list-objects.js';
import { headObject } from '../../shared/s3/object-head.js';
import { trailOf } from './trail.js';

const MiB = 1024 * 1024;

/**
 * The real pipeline on the local stack, with its own queues per test file (so one file's leftover
 * messages never reach another's run) and a 5 MiB multipart threshold so a 6 MiB object exercises
 * multipart upload and UploadPartCopy.
 */
export async function startPipeline(name: string) {
  process.env.S3SEAL_QUEUE_PREFIX = `it-${name}-${randomUUID().slice(0, 6)}`;
  process.env.S3SEAL_MULTIPART_THRESHOLD_BYTES = String(5 * MiB);
  process.env.S3SEAL_COPY_MULTIPART_THRESHOLD_BYTES = String(5 * MiB);
  process.env.S3SEAL_COPY_PART_SIZE_BYTES = String(5 * MiB);
  // Each test file keeps its own audit trail (chunk logs, listings, manifests) under its own prefix.
  process.env.S3SEAL_AUDIT_PREFIX = `${process.env.S3SEAL_QUEUE_PREFIX}/`;
  // And its own transparency log (a log per origin: its bucket and prefix).
  process.env.S3SEAL_TLOG_PREFIX = `${process.env.S3SEAL_QUEUE_PREFIX}-tlog/`;
  const { config, clients } = handlerRuntime();
  await ensureQueues(clients.sqs, config);
  await ensureTables(clients.dynamo, config);
  await ensureAuditTrail(clients, config);
  const queues = await resolveQueueUrls(clients.sqs, config);
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const chunks = new DynamoDbChunkStore(
    clients.dynamo,
    config.ledgerTable,
    processShardPool(config.tallyShards),
  );
  const trail = trailOf({ s3: clients.s3, chunks, auditLocation: config.auditLocation, runs });
  const encryptDeps = (overrides: Partial<EncryptDeps & ChunkDeps> = {}): EncryptDeps & ChunkDeps => ({
    s3: clients.s3,
    kms: clients.kms,
    chunks,
    auditLocation: config.auditLocation,
    config,
    ...overrides,
  });
  return {
    config,
    clients,
    /** A separate S3 client, so a test can add middleware (count or race writes) to one path only. */
    newS3Client: () => createClients(config).s3,
    /** A separate KMS client, to count (or fail) one path's KMS calls. */
    newKmsClient: () => createClients(config).kms,
    queues,
    runs,
    chunks,
    /** The audit trail as committed chunk logs show it: each object's decisions, a run's records. */
    trail,
    encryptDeps,
    /** The rewrap planner's dependencies, with a clock the test controls. */
    plannerDeps(now: () => Date = () => new Date()): RotationPlannerDeps {
      return {
        dynamo: clients.dynamo,
        sqs: clients.sqs,
        s3: clients.s3,
        kms: clients.kms,
        runs,
        aliases: new AliasTargets(clients.dynamo, config.ledgerTable),
        ledgerTable: config.ledgerTable,
        location: config.auditLocation,
        queues,
        largeObjectBytes: config.largeObjectBytes,
        fixMembership,
        scanQueueUrl: queues.scan,
        now,
      };
    },
    /** Processes an already planned run locally to the end. */
    async process(runId: string) {
      return runLocally({ sqs: clients.sqs, runs, queues, runId, concurrency: 4 });
    },
    /** A backfill run, processed locally to the end, as `s3-seal encrypt --local` does. */
    async backfill(
      bucket: string,
      mode: string,
      key?: string,
      prefix = '',
      envelope: { format?: string; upgradeFormat?: boolean } = {},
    ) {
      const run = await startRun({ ...clients, runs, queues }, { bucket, prefix, mode, key, ...envelope });
      return runLocally({ sqs: clients.sqs, runs, queues, runId: run.runId, mode: run.mode, concurrency: 4 });
    },
  };
}

/** The commands a client sends whose names match `pattern`, in order: proves what did (not) happen. */
export function countCommands(client: S3Client | KMSClient, pattern: RegExp): string[] {
  const sent: string[] = [];
  (client as S3Client).middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      if (pattern.test(name)) sent.push(name);
      return next(args);
    },
    { step: 'initialize', name: `countCommands-${randomUUID()}` },
  );
  return sent;
}

export function uniqueBucket(label: string): string {
  return `it-${label}-${Date.now()}-${randomUUID().slice(0, 4)}`.toLowerCase();
}

export async function createKmsKey(kms: KMSClient): Promise<string> {
  return (await kms.send(new CreateKeyCommand({ Description: 's3-seal integration test' }))).KeyMetadata!
    .Arn!;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of listObjectPages(s3, { bucket })) keys.push(...page.objects.map((o) => o.key));
  return keys;
}

/** The plaintext of an object as a reader sees it: envelope objects are decrypted. */
export async function readPlaintext(clients: { s3: S3Client; kms: KMSClient }, bucket: string, key: string) {
  const head = await headObject(clients.s3, bucket, key);
  if (head && envelopeFormatOf(head.metadata)) {
    return buffer((await openObject(clients, bucket, key)).plaintext);
  }
  const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

/** What a user would notice changing about an object, besides its protection. */
export async function describeObject(s3: S3Client, bucket: string, key: string) {
  const head = (await headObject(s3, bucket, key))!;
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  const userMetadata = Object.fromEntries(
    Object.entries(head.metadata).filter(([name]) => !name.startsWith('x-amz-')),
  );
  return {
    etag: head.etag,
    sse: head.serverSideEncryption,
    kmsKeyArn: head.kmsKeyArn,
    metadata: head.metadata,
    userMetadata,
    contentType: head.headers.ContentType,
    cacheControl: head.headers.CacheControl,
    tags: Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value])),
  };
}

/**
 * `s3` whose `command` requests land and then fail as if the process had died right after them:
 * the write is done, the attempt never hears of it.
 */
export function crashingAfter(s3: S3Client, command: string): S3Client {
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (String(context.commandName) === command) throw new Error(`crash after ${command}`);
      return out;
    },
    { step: 'initialize', name: `crashAfter${command}` },
  );
  return s3;
}
