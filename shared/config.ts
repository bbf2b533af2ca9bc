import * as z from 'zod';
import type { AuditLocation } from './chunks/chunk-log-types.js';
import { ConfigError } from './errors.js';
import { type FaultSpec, parseFaultSpec } from './faults.js';
import { largeObjectThresholdBytes } from './jobs/time-budget.js';
import { BUCKET_NAME } from './s3-uri.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** An optional integer variable; empty counts as unset. */
const optionalInt = (min: number, max: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(min).max(max).optional());

/**
 * How much longer than the function's timeout a claim's lease runs. Lambda stops an invocation at
 * its timeout, but a request it already sent (a CopyObject, a CompleteMultipartUpload) can still
 * complete at S3 after that: a claim is taken over only once no write of its owner can land.
 */
export const LEASE_MARGIN_SECONDS = 60;

/** The lease when neither it nor a function timeout is configured (local workers). */
const DEFAULT_LEASE_SECONDS = 900;

/** Listing chains per run unless `--scan-chains` or S3SEAL_SCAN_CHAINS says otherwise. */
export const DEFAULT_SCAN_CHAINS = 4;
export const MAX_SCAN_CHAINS = 1024;

const bytes = (fallback: number, minimum: number) => z.coerce.number().int().min(minimum).default(fallback);

/**
 * Everything s3-seal reads from its environment, parsed once at start into a typed object so that a
 * bad value fails at cold start with the variable's name, never halfway through a batch.
 */
const ConfigSchema = z.object({
  S3SEAL_LEDGER_TABLE: z.string().min(3).default('s3-seal-ledger'),
  S3SEAL_AUDIT_TABLE: z.string().min(3).default('s3-seal-audit'),
  // The audit trail in S3 (docs/architecture.md, "Audit trail in S3"): chunk logs, listing records
  // and manifests live under the prefix, which ends in `/` (or is empty: the bucket's root).
  S3SEAL_AUDIT_BUCKET: z
    .string()
    .regex(BUCKET_NAME, 'not a valid S3 bucket name')
    .default('s3-seal-audit-trail'),
  S3SEAL_AUDIT_PREFIX: z
    .string()
    .max(256)
    .refine((v) => v === '' || v.endsWith('/'), { message: 'must be empty or end with "/"' })
    .default('audit/'),
  // The default retention (Object Lock, compliance mode) `setup` gives an audit bucket it creates;
  // 0 creates it without a default retention. Unset: 1 day against a custom endpoint (the local
  // stack, whose buckets tests and demos throw away), else 365. A deployed stage's bucket belongs
  // to its stack, which sets its own retention (serverless.yml), and is never reconfigured here.
  S3SEAL_AUDIT_RETENTION_DAYS: optionalInt(0, 36_500),
  // The transparency log over the committed chunk logs (docs/architecture.md, "Transparency log"):
  // its tiles and checkpoint under this prefix of the audit bucket, signed by this KMS key.
  S3SEAL_TLOG_PREFIX: z
    .string()
    .min(1)
    .max(256)
    .refine((v) => v.endsWith('/'), { message: 'must end with "/"' })
    .default('tlog/'),
  S3SEAL_TLOG_KEY: z.string().min(1).default('alias/s3-seal-tlog'),
  S3SEAL_TLOG_ORIGIN: z
    .string()
    .regex(/^[^\s+]+$/, 'no spaces or "+" (C2SP tlog-checkpoint origin)')
    .optional(),
  S3SEAL_TLOG_QUEUE_URL: z.url().optional(),
  S3SEAL_QUEUE_PREFIX: z.string().min(1).default('s3-seal'),
  S3SEAL_SCAN_QUEUE_URL: z.url().optional(),
  S3SEAL_ENCRYPT_QUEUE_URL: z.url().optional(),
  S3SEAL_EVENTS_QUEUE_URL: z.url().optional(),
  S3SEAL_REWRAP_QUEUE_URL: z.url().optional(),
  S3SEAL_LARGE_QUEUE_URL: z.url().optional(),
  // The large-object route (docs/large-buckets.md): an object whose copy or seal cannot finish in the
  // function's time budget at this throughput goes to the large-object queue `s3-seal worker` serves.
  // The default throughput is a conservative per-object figure for a 1-2 GB Lambda.
  S3SEAL_LAMBDA_BYTES_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .default(50 * MiB),
  // The encrypt function's timeout (every function needs it to route, the scan function included,
  // whose own timeout is shorter), and the part of it kept back.
  S3SEAL_ENCRYPT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(900).default(300),
  S3SEAL_LARGE_OBJECT_MARGIN_SECONDS: z.coerce.number().int().min(0).default(60),
  // Overrides the derived threshold (tests lower it to a few MiB); empty means derived.
  S3SEAL_LARGE_OBJECT_BYTES: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).optional(),
  ),
  // Envelope mode streams objects up to this size with one PutObject; larger ones go multipart in
  // parts of this size (lib-storage), so memory stays near partSize x queue size whatever the object.
  // S3 needs parts of at least 5 MiB (S3 User Guide, "Amazon S3 multipart upload limits").
  S3SEAL_MULTIPART_THRESHOLD_BYTES: bytes(16 * MiB, 5 * MiB),
  // Server-side copies above 5 GiB must use UploadPartCopy: CopyObject refuses them.
  S3SEAL_COPY_MULTIPART_THRESHOLD_BYTES: bytes(5 * GiB, 5 * MiB).refine((v) => v <= 5 * GiB, {
    message: 'must be at most 5 GiB (the CopyObject limit)',
  }),
  S3SEAL_COPY_PART_SIZE_BYTES: bytes(512 * MiB, 5 * MiB),
  // The ledger's claim lease (docs/architecture.md, "Deadlines and leases"). Unset, it follows the
  // function's timeout where one is given (timeout + LEASE_MARGIN_SECONDS), else 15 minutes.
  S3SEAL_LEASE_SECONDS: optionalInt(5, 43_200),
  // The Lambda function's timeout, from the value serverless.yml sets it to: Lambda does not tell
  // the function its own timeout, and the lease must outlast it.
  S3SEAL_FUNCTION_TIMEOUT_SECONDS: optionalInt(1, 900),
  // Kept free at the end of each invocation (audit, ledger finish, counters, the batch response):
  // an object whose estimated work does not fit before that is not started (it comes back).
  S3SEAL_DEADLINE_MARGIN_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  // How long a batch a local run (`encrypt --local`, `resume`) received stays hidden from other
  // pollers: after the process is killed, its batches in hand come back to the queues after this.
  S3SEAL_LOCAL_VISIBILITY_SECONDS: z.coerce.number().int().min(5).max(43_200).default(120),
  S3SEAL_SCAN_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  // The most listing chains a run's listing splits into (docs/large-buckets.md, "Listing chains").
  S3SEAL_SCAN_CHAINS: z.coerce.number().int().min(1).max(MAX_SCAN_CHAINS).default(DEFAULT_SCAN_CHAINS),
  // UpdateObjectEncryption changes SSE-S3 to SSE-KMS without moving data. Emulators that do not know
  // the operation can route it as a PutObject and overwrite the object with the request's XML body
  // (seen on LocalStack 4.10), so `auto` uses it only against AWS's own endpoints.
  S3SEAL_UPDATE_OBJECT_ENCRYPTION: z.enum(['auto', 'on', 'off']).default('auto'),
  S3SEAL_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false', ''])
    .default('false')
    .transform((v) => v === 'true'),
  // Rotation policies the scheduled rewrap planner enforces (docs/rotation.md): re-wrap any data
  // key wrapped more than this many days ago, and follow these aliases when they are retargeted.
  S3SEAL_ROTATION_MAX_KEY_AGE_DAYS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).optional(),
  ),
  S3SEAL_ROTATION_ALIASES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^alias\/[a-zA-Z0-9/_-]+$/, 'each entry must be alias/NAME'))),
  // Tally shards per run: how many items a run's counts and digest spread over (docs/architecture.md,
  // "Counting and closing runs"); readers sum whatever shards exist, so it can change any time.
  S3SEAL_TALLY_SHARDS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(100).default(32),
  ),
  // Fault injection for the soak and tests only (docs/development.md, "The chaos soak"); empty means off.
  S3SEAL_FAULTS: z
    .string()
    .default('')
    .transform((spec, ctx) => {
      if (!spec) return undefined;
      try {
        return parseFaultSpec(spec);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  // Tests only: the age at which the audit readers take an item-less watch-run log for an expired
  // event chunk (default the event chunk TTL, a day), to simulate a day passing; the TTL the events
  // handler writes is unchanged (docs/development.md, "Tests", "Test-only settings").
  S3SEAL_TEST_EVENT_CHUNK_TTL_SECONDS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).optional(),
  ),
  // SSE-C migration on deployed workers: the customer key encrypted with KMS (base64 of the
  // CiphertextBlob), decrypted once per cold start (docs/safety.md, "SSE-C objects"; docs/deploying.md).
  S3SEAL_SSE_C_KEY_CIPHERTEXT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.base64('must be the base64 of a KMS CiphertextBlob').optional(),
  ),
  AWS_ENDPOINT_URL: z.string().optional(),
  AWS_ENDPOINT_URL_S3: z.string().optional(),
  S3SEAL_ACTOR: z.string().optional(),
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
});

export interface Config {
  ledgerTable: string;
  auditTable: string;
  /** Where chunk logs, listing records and manifests are written (S3SEAL_AUDIT_BUCKET, _PREFIX). */
  auditLocation: AuditLocation;
  /** Days of compliance-mode default retention for an audit bucket `setup` creates (0: none). */
  auditRetentionDays: number;
  /** The transparency log over the committed chunk logs (S3SEAL_TLOG_*). */
  transparencyLog: TransparencyLogConfig;
  queuePrefix: string;
  scanQueueUrl?: string;
  encryptQueueUrl?: string;
  eventsQueueUrl?: string;
  rewrapQueueUrl?: string;
  largeQueueUrl?: string;
  /** Objects larger than this go to the large-object queue, never through Lambda. */
  largeObjectBytes: number;
  multipartThresholdBytes: number;
  copyMultipartThresholdBytes: number;
  copyPartSizeBytes: number;
  /** Claim lease: at least the function timeout + {@link LEASE_MARGIN_SECONDS} on Lambda. */
  leaseSeconds: number;
  /** The Lambda function's timeout, when the deployment passes it (S3SEAL_FUNCTION_TIMEOUT_SECONDS). */
  functionTimeoutSeconds?: number;
  /** Time kept free at the end of an invocation; objects that cannot finish before it wait. */
  deadlineMarginSeconds: number;
  localVisibilitySeconds: number;
  scanPageSize: number;
  /** The most listing chains a run's listing splits into. */
  scanChains: number;
  useUpdateObjectEncryption: boolean;
  s3ForcePathStyle: boolean;
  /** Who acts, for audit records: the Lambda function name, or a worker identity. */
  actor: string;
  /** In a Lambda execution environment (not a local process whose claims can be proven dead). */
  onLambda: boolean;
  rotation: RotationPolicy;
  faults?: FaultSpec;
  /** Tally shards each process spreads a run's counts over (1 to 100). */
  tallyShards: number;
  /** Jobs in flight share their claim and close transactions; the window they wait for each other. */
  /** Base64 KMS ciphertext of the SSE-C migration key workers use (never the key itself). */
  sseCustomerKeyCiphertext?: string;
  /** Tests only (S3SEAL_TEST_EVENT_CHUNK_TTL_SECONDS): the age an expired event chunk's log must reach. */
  testEventChunkTtlSeconds?: number;
}

/**
 * Where the transparency log lives and what signs it (docs/architecture.md, "Transparency log"):
 * tiles, entry bundles and `checkpoint` under `prefix` of the audit bucket, checkpoints signed by
 * the KMS key `keyId` (an `ECC_NIST_P256` SIGN_VERIFY key `setup` creates) as `origin`.
 */
export interface TransparencyLogConfig {
  bucket: string;
  prefix: string;
  keyId: string;
  origin: string;
  /** Lambda: the sequencer's queue, which the chunk handlers send committed chunks to. */
  queueUrl?: string;
}

export interface RotationPolicy {
  /** Re-wrap data keys wrapped longer ago than this. */
  maxKeyAgeDays?: number;
  /** Aliases whose objects move to the alias's current key when it is retargeted. */
  aliases: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const timeout = e.S3SEAL_FUNCTION_TIMEOUT_SECONDS;
  if (e.S3SEAL_LEASE_SECONDS !== undefined && timeout !== undefined) {
    const least = timeout + LEASE_MARGIN_SECONDS;
    if (e.S3SEAL_LEASE_SECONDS < least) {
      throw new ConfigError(
        `invalid configuration: S3SEAL_LEASE_SECONDS: must be at least the function timeout + ${LEASE_MARGIN_SECONDS} s (${least}), got ${e.S3SEAL_LEASE_SECONDS}`,
      );
    }
  }
  const customS3Endpoint = Boolean(e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL);
  return {
    ledgerTable: e.S3SEAL_LEDGER_TABLE,
    auditTable: e.S3SEAL_AUDIT_TABLE,
    auditLocation: { bucket: e.S3SEAL_AUDIT_BUCKET, prefix: e.S3SEAL_AUDIT_PREFIX },
    auditRetentionDays: e.S3SEAL_AUDIT_RETENTION_DAYS ?? (customS3Endpoint ? 1 : 365),
    transparencyLog: {
      bucket: e.S3SEAL_AUDIT_BUCKET,
      prefix: e.S3SEAL_TLOG_PREFIX,
      keyId: e.S3SEAL_TLOG_KEY,
      origin: e.S3SEAL_TLOG_ORIGIN ?? `s3-seal/${e.S3SEAL_AUDIT_BUCKET}/${e.S3SEAL_TLOG_PREFIX.slice(0, -1)}`,
      queueUrl: e.S3SEAL_TLOG_QUEUE_URL,
    },
    queuePrefix: e.S3SEAL_QUEUE_PREFIX,
    scanQueueUrl: e.S3SEAL_SCAN_QUEUE_URL,
    encryptQueueUrl: e.S3SEAL_ENCRYPT_QUEUE_URL,
    eventsQueueUrl: e.S3SEAL_EVENTS_QUEUE_URL,
    rewrapQueueUrl: e.S3SEAL_REWRAP_QUEUE_URL,
    largeQueueUrl: e.S3SEAL_LARGE_QUEUE_URL,
    largeObjectBytes:
      e.S3SEAL_LARGE_OBJECT_BYTES ??
      largeObjectThresholdBytes({
        bytesPerSecond: e.S3SEAL_LAMBDA_BYTES_PER_SECOND,
        timeoutSeconds: e.S3SEAL_ENCRYPT_TIMEOUT_SECONDS,
        marginSeconds: e.S3SEAL_LARGE_OBJECT_MARGIN_SECONDS,
      }),
    multipartThresholdBytes: e.S3SEAL_MULTIPART_THRESHOLD_BYTES,
    copyMultipartThresholdBytes: e.S3SEAL_COPY_MULTIPART_THRESHOLD_BYTES,
    copyPartSizeBytes: e.S3SEAL_COPY_PART_SIZE_BYTES,
    leaseSeconds:
      e.S3SEAL_LEASE_SECONDS ??
      (timeout !== undefined ? timeout + LEASE_MARGIN_SECONDS : DEFAULT_LEASE_SECONDS),
    functionTimeoutSeconds: timeout,
    deadlineMarginSeconds: e.S3SEAL_DEADLINE_MARGIN_SECONDS,
    localVisibilitySeconds: e.S3SEAL_LOCAL_VISIBILITY_SECONDS,
    scanPageSize: e.S3SEAL_SCAN_PAGE_SIZE,
    scanChains: e.S3SEAL_SCAN_CHAINS,
    useUpdateObjectEncryption:
      e.S3SEAL_UPDATE_OBJECT_ENCRYPTION === 'on' ||
      (e.S3SEAL_UPDATE_OBJECT_ENCRYPTION === 'auto' && !customS3Endpoint),
    s3ForcePathStyle: e.S3SEAL_S3_FORCE_PATH_STYLE,
    actor: e.S3SEAL_ACTOR ?? e.AWS_LAMBDA_FUNCTION_NAME ?? `worker:${process.pid}`,
    onLambda: e.AWS_LAMBDA_FUNCTION_NAME !== undefined,
    faults: e.S3SEAL_FAULTS,
    tallyShards: e.S3SEAL_TALLY_SHARDS,
    sseCustomerKeyCiphertext: e.S3SEAL_SSE_C_KEY_CIPHERTEXT,
    ...(e.S3SEAL_TEST_EVENT_CHUNK_TTL_SECONDS === undefined
      ? {}
      : { testEventChunkTtlSeconds: e.S3SEAL_TEST_EVENT_CHUNK_TTL_SECONDS }),
    rotation: { maxKeyAgeDays: e.S3SEAL_ROTATION_MAX_KEY_AGE_DAYS, aliases: e.S3SEAL_ROTATION_ALIASES },
  };
}
