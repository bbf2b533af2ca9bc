import * as z from 'zod';
import { ENVELOPE_FORMATS } from '../envelope/format.js';
import { OTHER_KMS_KEYS, PROTECTION_MODES } from '../policy.js';

/**
 * What every message of a run carries, whatever it asks for (a listing page, an inventory file, a
 * chunk): the run, its bucket and its protection.
 */
export const runFields = {
  runId: z.string().min(1),
  bucket: z.string().min(3).max(63),
  mode: z.enum(PROTECTION_MODES),
  keyArn: z.string().startsWith('arn:').optional(),
  /** Envelope mode: the S3EC format to write; absent means the default (V3). */
  format: z.enum(ENVELOPE_FORMATS).optional(),
  /** Envelope mode: re-encrypt V2 envelopes to V3. */
  upgradeFormat: z.boolean().optional(),
  /** Put an object's ACL grants back after its rewrite (`encrypt --keep-acl`). */
  keepAcl: z.boolean().optional(),
  /** sse-kms: what becomes of objects under another KMS key; absent means the default (`rekey`). */
  otherKmsKeys: z.enum(OTHER_KMS_KEYS).optional(),
  /**
   * SSE-C migration: the fingerprint (base64 MD5, as S3 names it) of the customer key the run was
   * given. The key itself never travels in a message; workers hold it (docs/safety.md, "SSE-C objects").
   */
  sseCustomerKeyMd5: z
    .string()
    .regex(/^[A-Za-z0-9+/]{22}==$/, 'must be a base64 MD5 digest')
    .optional(),
};

/** A run's fields as a message holds them ({@link runFields}). */
export type RunFields = z.infer<z.ZodObject<typeof runFields>>;

/** The run's fields of a message that carries more (a scan page, an inventory file): no others. */
export function runFieldsOf(message: RunFields): RunFields {
  const fields: Record<string, unknown> = {};
  for (const name of Object.keys(runFields)) {
    const value = (message as Record<string, unknown>)[name];
    if (value !== undefined) fields[name] = value;
  }
  return fields as RunFields;
}

/** What every message of a run carries: the run, its scope and its protection. */
export type RunMessageFields = Pick<
  ScanMessage,
  | 'runId'
  | 'bucket'
  | 'prefix'
  | 'mode'
  | 'keyArn'
  | 'format'
  | 'upgradeFormat'
  | 'keepAcl'
  | 'otherKmsKeys'
  | 'sseCustomerKeyMd5'
>;

/** The refinement every message with run fields has: envelope and sse-kms name their key. */
export function keyRequiredForKmsModes(message: { mode: string; keyArn?: string }): boolean {
  return message.mode === 'sse-s3' || Boolean(message.keyArn);
}
export const keyIssue = {
  message: 'keyArn is required for the envelope and sse-kms modes',
  path: ['keyArn'],
};

/**
 * One listing chain of a run (docs/large-buckets.md, "Listing chains"): every key under `prefix`
 * (which starts with the run's prefix). A `delimited` chain lists with the delimiter `/`: it
 * enqueues the keys directly under its prefix and gives each common prefix a chain of its own,
 * sharing its `budget` (the chains it may still fan out into) among them.
 */
export const ScanChainSchema = z.object({
  prefix: z.string(),
  delimited: z.boolean(),
  budget: z.number().int().min(1),
});
export type ScanChain = z.infer<typeof ScanChainSchema>;

/**
 * Scan queue message: list one page of the run's bucket and prefix, then enqueue the next page.
 * With `chain`, the page belongs to one of the run's listing chains and `page` counts within it;
 * without, it is a run's only chain, continued by continuation token (runs started before chains).
 */
export const ScanMessageSchema = z
  .object({
    type: z.literal('scan'),
    ...runFields,
    prefix: z.string().default(''),
    page: z.number().int().min(1),
    continuationToken: z.string().optional(),
    chain: ScanChainSchema.optional(),
  })
  .refine(keyRequiredForKmsModes, keyIssue);
export type ScanMessage = z.infer<typeof ScanMessageSchema>;

/**
 * What every message about one S3 Inventory data file carries, whatever its run does with the rows
 * (docs/large-buckets.md): the file, where its run's rows start, and how many files the run has.
 */
const inventoryFileFields = {
  prefix: z.string().default(''),
  /** This file's number (1..files): its page marker, so a redelivery is counted once. */
  page: z.number().int().min(1),
  files: z.number().int().min(1),
  filesBucket: z.string().min(3).max(63),
  fileFormat: z.enum(['CSV', 'Parquet']),
  columns: z.array(z.string()).min(1),
  file: z.object({ key: z.string().min(1), size: z.number().int().min(0), MD5checksum: z.string() }),
  /** A large file is read in chunks, one message each: the first row (0-based) and chunk number. */
  rowStart: z.number().int().min(0).default(0),
  chunk: z.number().int().min(1).default(1),
};

/**
 * Scan queue message of an inventory-driven run: turn one S3 Inventory data file into encrypt jobs
 * (docs/large-buckets.md). One message per data file, so files are read in parallel.
 */
export const InventoryFileMessageSchema = z
  .object({
    type: z.literal('inventory-file'),
    ...runFields,
    ...inventoryFileFields,
  })
  .refine(keyRequiredForKmsModes, keyIssue);
export type InventoryFileMessage = z.infer<typeof InventoryFileMessageSchema>;

/**
 * One object's job, as the encrypt operation takes it: the run's fields and the object, built from
 * one intent of an `encrypt-chunk` message (shared/chunks/chunk-jobs.ts). Not a queue message:
 * objects travel in chunks (docs/architecture.md, "Chunks").
 */
export type EncryptJob = RunFields & {
  /** Stable per (run, bucket, key): jobIdFor in scan-page.ts. */
  jobId: string;
  key: string;
  /** The ETag the listing showed; informational, the operation decides on its own HEAD. */
  etag?: string;
  size?: number;
  versionId?: string;
  /** What the listing showed of `<key>.instruction` (ChunkIntent.instructionFile). */
  instructionFile?: boolean;
};

/** One object's re-wrap job (data key or SSE-KMS key to `toKeyArn`), from one intent of a `rewrap-chunk`. */
export interface RewrapJob {
  runId: string;
  jobId: string;
  bucket: string;
  key: string;
  /** Only objects wrapped under this key are re-wrapped; others are skipped with a reason. */
  fromKeyArn: string;
  toKeyArn: string;
  /** Only data keys wrapped before this ISO time (a rotation: source and target the same key). */
  wrappedBefore?: string;
  /** What the listing (inventory, manifest) showed (informational). */
  size?: number;
  etag?: string;
  versionId?: string;
}

/**
 * Scan queue message of a re-wrap run enumerated from an S3 Inventory report (`rewrap
 * --inventory`): one data file (or one chunk of it) whose rows become rewrap jobs.
 */
export const RewrapInventoryFileMessageSchema = z.object({
  type: z.literal('rewrap-inventory-file'),
  runId: z.string().min(1),
  bucket: z.string().min(3).max(63),
  ...inventoryFileFields,
  fromKeyArn: z.string().startsWith('arn:'),
  toKeyArn: z.string().startsWith('arn:'),
  wrappedBefore: z.string().datetime().optional(),
});
export type RewrapInventoryFileMessage = z.infer<typeof RewrapInventoryFileMessageSchema>;

/** What reading one inventory data file chunk needs, for any kind of run. */
export type InventoryChunkMessage = InventoryFileMessage | RewrapInventoryFileMessage;

/**
 * Scan queue message of a rewrap plan: one page of one per-key manifest (docs/architecture.md,
 * "Manifests"), the gzip member at byte `offset`. Each page queues its objects as
 * `rewrap-chunk` messages and then the manifest's next page, so a plan of any size is a chain of
 * short invocations, one chain per manifest. `page` counts from 1 within the chain.
 */
export const RewrapPlanPageMessageSchema = z.object({
  type: z.literal('rewrap-plan'),
  runId: z.string().min(1),
  /** Only objects of this bucket and prefix (absent bucket: every bucket). */
  bucket: z.string().min(3).max(63).optional(),
  prefix: z.string().default(''),
  fromKeyArn: z.string().startsWith('arn:'),
  toKeyArn: z.string().startsWith('arn:'),
  wrappedBefore: z.string().datetime().optional(),
  /** The manifest's object key in the audit location. */
  manifest: z.string().min(1),
  /** This manifest's chain number (0-based) among the plan's `chains`. */
  chain: z.number().int().min(0),
  /** Manifest chains in the plan: the run's scan is complete once this many chains finished. */
  chains: z.number().int().min(1),
  page: z.number().int().min(1),
  offset: z.number().int().min(0),
});
export type RewrapPlanPageMessage = z.infer<typeof RewrapPlanPageMessageSchema>;

/** Parses a queue message body, naming the first problem: not JSON, or not this schema. */
export function parseMessage<T>(schema: z.ZodType<T>, body: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError(`message body is not JSON: ${body.slice(0, 80)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MalformedMessageError(
      `malformed message: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/**
 * A message that no retry can fix. It is not acknowledged: it fails its record so that SQS moves it
 * to the dead-letter queue after the queue's maxReceiveCount, where `dlq list` shows why.
 */
export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}

/**
 * Parses a scan queue message: a listing page, or (by its `type`) an inventory data file of an
 * encrypt or a re-wrap run, or a rewrap plan page.
 */
export function parseScanQueueMessage(
  body: string,
): ScanMessage | InventoryFileMessage | RewrapInventoryFileMessage | RewrapPlanPageMessage {
  if (/"type"\s*:\s*"rewrap-plan"/.test(body)) return parseMessage(RewrapPlanPageMessageSchema, body);
  if (/"type"\s*:\s*"rewrap-inventory-file"/.test(body)) {
    return parseMessage(RewrapInventoryFileMessageSchema, body);
  }
  const inventory = /"type"\s*:\s*"inventory-file"/.test(body);
  return inventory ? parseMessage(InventoryFileMessageSchema, body) : parseMessage(ScanMessageSchema, body);
}
