import { z } from 'zod';
import { ConfigError } from './errors.js';
import { type FaultSpec, parseFaultSpec } from './faults.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

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
  S3SEAL_QUEUE_PREFIX: z.string().min(1).default('s3-seal'),
  S3SEAL_SCAN_QUEUE_URL: z.url().optional(),
  S3SEAL_ENCRYPT_QUEUE_URL: z.url().optional(),
  S3SEAL_EVENTS_QUEUE_URL: z.url().optional(),
  S3SEAL_REWRAP_QUEUE_URL: z.url().optional(),
  // Envelope mode streams objects up to this size with one PutObject; larger ones go multipart in
  // parts of this size (lib-storage), so memory stays near partSize x queue size whatever the object.
  // S3 needs parts of at least 5 MiB (S3 User Guide, "Amazon S3 multipart upload limits").
  S3SEAL_MULTIPART_THRESHOLD_BYTES: bytes(16 * MiB, 5 * MiB),
  // Server-side copies above 5 GiB must use UploadPartCopy: CopyObject refuses them.
  S3SEAL_COPY_MULTIPART_THRESHOLD_BYTES: bytes(5 * GiB, 5 * MiB).refine((v) => v <= 5 * GiB, {
    message: 'must be at most 5 GiB (the CopyObject limit)',
  }),
  S3SEAL_COPY_PART_SIZE_BYTES: bytes(512 * MiB, 5 * MiB),
  S3SEAL_LEASE_SECONDS: z.coerce.number().int().min(5).default(900),
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
  // Rotation policies the scheduled rewrap planner enforces (README, "Rotation"): re-wrap any data
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
  // Fault injection for the soak and tests only (README, "Reliability"); empty means off.
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
  // SSE-C migration on deployed workers: the customer key encrypted with KMS (base64 of the
  // CiphertextBlob), decrypted once per cold start (README, "SSE-C objects"; docs/deploying.md).
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
  queuePrefix: string;
  scanQueueUrl?: string;
  encryptQueueUrl?: string;
  eventsQueueUrl?: string;
  rewrapQueueUrl?: string;
  multipartThresholdBytes: number;
  copyMultipartThresholdBytes: number;
  copyPartSizeBytes: number;
  leaseSeconds: number;
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
  /** Base64 KMS ciphertext of the SSE-C migration key workers use (never the key itself). */
  sseCustomerKeyCiphertext?: string;
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
  const customS3Endpoint = Boolean(e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL);
  return {
    ledgerTable: e.S3SEAL_LEDGER_TABLE,
    auditTable: e.S3SEAL_AUDIT_TABLE,
    queuePrefix: e.S3SEAL_QUEUE_PREFIX,
    scanQueueUrl: e.S3SEAL_SCAN_QUEUE_URL,
    encryptQueueUrl: e.S3SEAL_ENCRYPT_QUEUE_URL,
    eventsQueueUrl: e.S3SEAL_EVENTS_QUEUE_URL,
    rewrapQueueUrl: e.S3SEAL_REWRAP_QUEUE_URL,
    multipartThresholdBytes: e.S3SEAL_MULTIPART_THRESHOLD_BYTES,
    copyMultipartThresholdBytes: e.S3SEAL_COPY_MULTIPART_THRESHOLD_BYTES,
    copyPartSizeBytes: e.S3SEAL_COPY_PART_SIZE_BYTES,
    leaseSeconds: e.S3SEAL_LEASE_SECONDS,
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
    sseCustomerKeyCiphertext: e.S3SEAL_SSE_C_KEY_CIPHERTEXT,
    rotation: { maxKeyAgeDays: e.S3SEAL_ROTATION_MAX_KEY_AGE_DAYS, aliases: e.S3SEAL_ROTATION_ALIASES },
  };
}
