import * as z from 'zod';
import { ConfigError } from '../shared/errors.js';
import { parseKeyReference } from '../shared/kms/key-reference.js';
import { PROTECTION_MODES, type ProtectionMode } from '../shared/policy.js';

/**
 * S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules"): 3-63 characters,
 * lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
 */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const RATE = /^rate\((\d+) (minute|hour|day)(s?)\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;

/**
 * A key ARN, never an alias or a bare key id: IAM statements name the key itself (an alias ARN in
 * a policy's Resource governs the alias, not the key behind it).
 */
const keyArn = z.string().superRefine((value, ctx) => {
  let kind: string;
  try {
    kind = parseKeyReference(value).kind;
  } catch {
    kind = 'invalid';
  }
  if (kind !== 'key-arn') {
    ctx.addIssue({
      code: 'custom',
      message: `not a KMS key ARN: "${value}" (expected arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; aliases and key ids cannot scope IAM)`,
    });
  }
});

/**
 * EventBridge schedule expressions (EventBridge User Guide, "Schedule expressions"): rate(1 day),
 * rate(6 hours) (singular for 1 only, or EventBridge refuses the rule at deploy time) or a
 * six-field cron(...).
 */
function checkSchedule(value: string, ctx: z.RefinementCtx) {
  if (CRON.test(value)) return;
  const rate = RATE.exec(value);
  if (!rate) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not rate(N unit) or cron(six fields)` });
  } else if ((Number(rate[1]) === 1) !== (rate[3] === '')) {
    ctx.addIssue({ code: 'custom', message: `"${value}": use rate(1 ${rate[2]}), rate(N ${rate[2]}s)` });
  } else if (Number(rate[1]) < 1) {
    ctx.addIssue({ code: 'custom', message: `"${value}": the rate must be at least 1` });
  }
}

const BucketSchema = z
  .strictObject({
    name: z
      .string({
        error: (issue) => (issue.input === undefined ? 'required: the bucket name' : 'not a string'),
      })
      .regex(BUCKET_NAME, 'not a valid S3 bucket name'),
    mode: z.enum(PROTECTION_MODES, {
      error: (issue) =>
        `unknown mode ${JSON.stringify(issue.input)} (expected one of ${PROTECTION_MODES.join(', ')})`,
    }),
    /** The key the mode protects objects with: envelope data keys, or the SSE-KMS key. */
    kmsKeyArn: keyArn.optional(),
    /** Keys the bucket's objects may still be under, which rewrap runs move away from. */
    previousKmsKeyArns: z.array(keyArn).default([]),
  })
  .superRefine((bucket, ctx) => {
    if (bucket.mode === 'sse-s3') {
      if (bucket.kmsKeyArn || bucket.previousKmsKeyArns.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: [bucket.kmsKeyArn ? 'kmsKeyArn' : 'previousKmsKeyArns'],
          message: 'mode sse-s3 uses no KMS key: remove it, or choose sse-kms or envelope',
        });
      }
    } else if (!bucket.kmsKeyArn) {
      ctx.addIssue({ code: 'custom', path: ['kmsKeyArn'], message: `mode ${bucket.mode} needs a key ARN` });
    }
  });

const DeployConfigSchema = z
  .strictObject({
    /** The buckets this stage may read and rewrite, each with the protection it applies. */
    buckets: z.array(BucketSchema, { error: 'required: the buckets this stage protects' }).min(1),
    rotation: z
      .strictObject({
        schedule: z.string().superRefine(checkSchedule).default('rate(1 day)'),
        maxKeyAgeDays: z.number().int().min(1).optional(),
        aliases: z.array(z.string().regex(ALIAS_NAME, 'expected alias/NAME')).default([]),
      })
      .default({ schedule: 'rate(1 day)', aliases: [] }),
    /**
     * maximumConcurrency per SQS source: how many invocations each queue may run at once. These
     * bound the KMS, DynamoDB and S3 request rates a backfill reaches (docs/deploying.md).
     */
    concurrency: z
      .strictObject({
        scan: z.number().int().min(2).max(1000).default(5),
        encrypt: z.number().int().min(2).max(1000).default(20),
        events: z.number().int().min(2).max(1000).default(10),
        rewrap: z.number().int().min(2).max(1000).default(10),
      })
      .default({ scan: 5, encrypt: 20, events: 10, rewrap: 10 }),
    /**
     * SSE-C migration (docs/safety.md, "SSE-C objects"): the customer key encrypted with KMS under the
     * context purpose=s3-seal-sse-c-key (base64 CiphertextBlob), and the key ARN that decrypts it.
     */
    sseC: z
      .strictObject({
        keyCiphertext: z.base64('expected the base64 CiphertextBlob of `aws kms encrypt`').min(1),
        kmsKeyArn: keyArn,
      })
      .optional(),
    /**
     * Where S3 Inventory reports for `encrypt --inventory` live: the scan function reads their data
     * files (docs/large-buckets.md). `kmsKeyArn` when the reports are encrypted with SSE-KMS.
     */
    inventoryReports: z
      .array(
        z.strictObject({
          bucket: z.string().regex(BUCKET_NAME, 'expected a bucket name'),
          prefix: z.string().default(''),
          kmsKeyArn: keyArn.optional(),
        }),
      )
      .default([]),
    /**
     * The audit trail bucket's default retention (Object Lock, compliance mode): no one, the
     * account's root included, can delete or overwrite a chunk log version for this many days.
     */
    audit: z
      .strictObject({ retentionDays: z.number().int().min(1).max(36_500).default(365) })
      .default({ retentionDays: 365 }),
    /** An SNS topic the dead-letter alarms notify; without it they only change state. */
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'expected an SNS topic ARN')
      .optional(),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.buckets.forEach((bucket, i) => {
      if (seen.has(bucket.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['buckets', i, 'name'],
          message: `${bucket.name} is listed twice`,
        });
      }
      seen.add(bucket.name);
    });
  });

export type DeployConfig = z.infer<typeof DeployConfigSchema>;
export type BucketConfig = DeployConfig['buckets'][number];
export type { ProtectionMode };

/** `buckets[0].mode` from zod's path ['buckets', 0, 'mode']. */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let name = '';
  for (const part of path) {
    name += typeof part === 'number' ? `[${part}]` : `${name ? '.' : ''}${String(part)}`;
  }
  return name || '(root)';
}

/**
 * Parses a stage's deployment config, and checks what the schema alone cannot: every key is in
 * the stack's region (the functions call KMS in their own region, and S3 uses SSE-KMS keys only
 * in the bucket's region). Throws a {@link ConfigError} listing every bad field by name.
 */
export function parseDeployConfig(
  input: unknown,
  options: { region: string; source: string; fieldLabel?: (field: string) => string },
): DeployConfig {
  const label = options.fieldLabel ?? ((field: string) => field);
  const parsed = DeployConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(
      options.source,
      parsed.error.issues.map((issue) => `${label(fieldName(issue.path))}: ${issue.message}`),
    );
  }
  const problems: string[] = [];
  const checkRegion = (field: string, arn: string) => {
    const region = arn.split(':')[3];
    if (region !== options.region) {
      problems.push(`${label(field)}: key is in ${region} but the stack deploys to ${options.region}`);
    }
  };
  parsed.data.buckets.forEach((bucket, i) => {
    const keys: Array<[string, string]> = bucket.previousKmsKeyArns.map((arn, j) => [
      `previousKmsKeyArns[${j}]`,
      arn,
    ]);
    if (bucket.kmsKeyArn) keys.unshift(['kmsKeyArn', bucket.kmsKeyArn]);
    for (const [field, arn] of keys) checkRegion(`buckets[${i}].${field}`, arn);
  });
  if (parsed.data.sseC) checkRegion('sseC.kmsKeyArn', parsed.data.sseC.kmsKeyArn);
  if (problems.length > 0) throw invalid(options.source, problems);
  return parsed.data;
}

function invalid(source: string, problems: string[]): ConfigError {
  return new ConfigError(`invalid deployment config ${source}:\n  ${problems.join('\n  ')}`);
}

/** Every key a bucket's objects may be under: its current key first, then the previous ones. */
export function bucketKeys(bucket: BucketConfig): string[] {
  return [...new Set([bucket.kmsKeyArn, ...bucket.previousKmsKeyArns].filter((k): k is string => !!k))];
}
