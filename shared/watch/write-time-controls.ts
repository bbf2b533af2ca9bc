import type { KMSClient } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorName } from '../aws-errors.js';
import type { DefaultEncryption } from '../estate/bucket-controls.js';
import { KeyArns } from '../estate/key-arns.js';
import {
  denyStatements,
  mergeStatements,
  type PolicyDocument,
  statementTag,
} from '../estate/upload-policy.js';
import type { ProtectionPolicy } from '../policy.js';

/** One change `setup --watch` makes to a bucket's write-time controls, described before it is made. */
export interface ControlChange {
  control: 'default-encryption' | 'bucket-policy';
  /** What is there now and what it becomes, for the user to read first. */
  from: string;
  to: string;
  apply: () => Promise<void>;
}

export interface WriteTimeInput {
  bucket: string;
  prefix: string;
  suffix: string;
  policy: ProtectionPolicy;
  /** Set bucket default encryption (default on for sse-kms and sse-s3). */
  defaultEncryption: boolean;
  /** Add the deny statements to the bucket policy (opt-in). */
  denyUnencrypted: boolean;
}

const describeDefault = (d: DefaultEncryption | undefined) =>
  d
    ? `${d.algorithm}${d.kmsKeyId ? ` under ${d.kmsKeyId}` : d.algorithm === 'AES256' ? '' : ' under aws/s3'}${d.algorithm === 'AES256' ? '' : `, Bucket Key ${d.bucketKeyEnabled ? 'on' : 'off'}`}`
    : 'none';

export async function currentDefault(s3: S3Client, bucket: string): Promise<DefaultEncryption | undefined> {
  try {
    const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    const rule = out.ServerSideEncryptionConfiguration?.Rules?.[0];
    const d = rule?.ApplyServerSideEncryptionByDefault;
    if (!d?.SSEAlgorithm) return undefined;
    return {
      algorithm: d.SSEAlgorithm,
      kmsKeyId: d.KMSMasterKeyID,
      bucketKeyEnabled: rule?.BucketKeyEnabled === true,
    };
  } catch (error) {
    if (errorName(error) === 'ServerSideEncryptionConfigurationNotFoundError') return undefined;
    throw error;
  }
}

/**
 * Whether the default already gives every upload the policy's protection: under sse-kms, SSE-KMS
 * (or the stronger DSSE-KMS) under the policy key with Bucket Key on (DSSE has no Bucket Key);
 * under sse-s3, any server-side default (SSE-KMS is stronger, never downgraded).
 */
async function defaultSatisfies(kms: KMSClient, d: DefaultEncryption | undefined, policy: ProtectionPolicy) {
  if (!d) return false;
  if (policy.mode === 'sse-s3') return true;
  if (d.algorithm !== 'aws:kms' && d.algorithm !== 'aws:kms:dsse') return false;
  if (!d.kmsKeyId || (await new KeyArns(kms).resolve(d.kmsKeyId)) !== policy.keyArn) return false;
  return d.algorithm === 'aws:kms:dsse' || d.bucketKeyEnabled;
}

/**
 * The default `setup --watch` sets when the current one does not satisfy the policy: SSE-KMS under
 * the policy key with Bucket Key, or SSE-S3. A DSSE-KMS default (under another key) stays DSSE-KMS,
 * under the policy key: replacing it with single-layer SSE-KMS would downgrade every new upload.
 */
function wantedDefault(policy: ProtectionPolicy, current: DefaultEncryption | undefined): DefaultEncryption {
  if (policy.mode !== 'sse-kms') return { algorithm: 'AES256', bucketKeyEnabled: false };
  if (current?.algorithm === 'aws:kms:dsse')
    return { algorithm: 'aws:kms:dsse', kmsKeyId: policy.keyArn, bucketKeyEnabled: false };
  return { algorithm: 'aws:kms', kmsKeyId: policy.keyArn, bucketKeyEnabled: true };
}

/**
 * The changes that make uploads under the watched prefix compliant at write time, so the event path
 * only catches stragglers (docs/estate.md, "Enforcement at write time"): bucket default encryption
 * (SSE-KMS under the policy key with S3 Bucket Key, or SSE-S3), and, when asked, deny statements
 * merged into the bucket policy. Nothing is changed here; each change's `apply` makes it. Envelope
 * mode is client-side: no server-side default makes an upload an envelope, so it has none.
 */
export async function writeTimeChanges(
  deps: { s3: S3Client; kms: KMSClient },
  input: WriteTimeInput,
): Promise<ControlChange[]> {
  const { s3 } = deps;
  const { bucket, policy } = input;
  if (policy.mode === 'envelope') return [];
  const changes: ControlChange[] = [];
  const current = await currentDefault(s3, bucket);
  const satisfied = await defaultSatisfies(deps.kms, current, policy);
  const wanted = wantedDefault(policy, current);
  if (input.defaultEncryption && !satisfied) changes.push(defaultChange(s3, bucket, current, wanted));
  if (input.denyUnencrypted) {
    const change = policyChange(s3, await currentPolicy(s3, bucket), input);
    if (change) changes.push(change);
  }
  return changes;
}

export async function currentPolicy(s3: S3Client, bucket: string): Promise<PolicyDocument | undefined> {
  try {
    const out = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    if (!out.Policy) return undefined;
    const policy = JSON.parse(out.Policy) as PolicyDocument;
    return { ...policy, Statement: Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement] };
  } catch (error) {
    if (errorName(error) === 'NoSuchBucketPolicy') return undefined;
    throw error;
  }
}

/** Sets the bucket's default encryption to `wanted`, described against `current`. */
export function defaultChange(
  s3: S3Client,
  bucket: string,
  current: DefaultEncryption | undefined,
  wanted: DefaultEncryption,
): ControlChange {
  return {
    control: 'default-encryption',
    from: describeDefault(current),
    to: `${describeDefault(wanted)} (bucket-wide: every new upload to s3://${bucket})`,
    apply: async () => {
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: {
                  SSEAlgorithm: wanted.algorithm as 'aws:kms' | 'aws:kms:dsse' | 'AES256',
                  ...(wanted.kmsKeyId ? { KMSMasterKeyID: wanted.kmsKeyId } : {}),
                },
                BucketKeyEnabled: wanted.bucketKeyEnabled,
              },
            ],
          },
        }),
      );
    },
  };
}

/** s3-seal's deny statements for one watched prefix merged into `existing`; undefined: no change. */
export function policyChange(
  s3: S3Client,
  existing: PolicyDocument | undefined,
  input: Pick<WriteTimeInput, 'bucket' | 'prefix' | 'suffix' | 'policy'>,
): ControlChange | undefined {
  const { bucket } = input;
  const ours = denyStatements(input);
  const merged = mergeStatements(existing, statementTag(input.prefix, input.suffix), ours);
  if (!merged.changed) return undefined;
  const kept = merged.policy.Statement.length - ours.length;
  return {
    control: 'bucket-policy',
    from: existing ? `${existing.Statement.length} statements` : 'no bucket policy',
    to: `${kept} of them kept, plus ${ours.map((s) => s.Sid).join(', ')} (deny s3:PutObject on arn:aws:s3:::${bucket}/${input.prefix}*${input.suffix} without the policy's encryption)`,
    apply: async () => {
      await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(merged.policy) }));
    },
  };
}
