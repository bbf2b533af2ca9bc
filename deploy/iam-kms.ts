import { SSE_C_KEY_CONTEXT } from '../shared/s3/sse-c-key.js';
import { bucketKeys, type DeployConfig } from './config.js';
import type { Statement } from './iam-statement.js';

/**
 * The KMS part of each function's role (deploy/iam.ts): grants on the configured key ARNs only,
 * each bound to the S3EC encryption context (our own KMS calls) or to S3 (what S3 asks of KMS for
 * SSE-KMS objects).
 */

/**
 * The encryption context every S3EC data key is bound to (shared/envelope/format.ts): the content
 * algorithm, `115` for V3 (the default) and `AES/GCM/NoPadding` for V2. StringEquals with a list
 * matches either value of this single-valued key.
 */
const ENVELOPE_CONTEXT = {
  StringEquals: { 'kms:EncryptionContext:aws:x-amz-cek-alg': ['115', 'AES/GCM/NoPadding'] },
};
/** Only requests S3 makes for us, in this region (SSE-KMS reads and writes). */
export const VIA_S3 = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JS
  StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } },
};

type KeyGrant = { actions: string[]; keys: string[]; condition: Statement['Condition'] };

/** Merges grants with the same actions and condition into one statement each, in a stable order. */
function kmsStatements(sid: string, grants: KeyGrant[]): Statement[] {
  const merged = new Map<string, KeyGrant>();
  for (const grant of grants) {
    if (grant.keys.length === 0) continue;
    const id = JSON.stringify([grant.actions, grant.condition]);
    const existing = merged.get(id);
    if (existing) existing.keys = [...new Set([...existing.keys, ...grant.keys])];
    else merged.set(id, { ...grant, keys: [...new Set(grant.keys)] });
  }
  return [...merged.values()].map((grant, i) => ({
    Sid: `${sid}${i + 1}`,
    Effect: 'Allow',
    Action: grant.actions.map((a) => `kms:${a}`),
    Resource: grant.keys,
    ...(grant.condition ? { Condition: grant.condition } : {}),
  }));
}

/**
 * KMS for the encrypt path (encrypt and events handlers):
 * - envelope: our own GenerateDataKey, always under the S3EC context (shared/envelope/seal-object.ts);
 *   Decrypt under that context on the bucket's keys, to confirm which key wraps an envelope another
 *   client wrote (a Decrypt naming the key; the data key is zeroed at once) and to read V2 objects
 *   an `--upgrade-format` run re-encrypts (shared/jobs/envelope-key.ts, protect-object.ts);
 * - sse-kms: S3 calls KMS for us. Copies in place need GenerateDataKey and Decrypt on the target
 *   key (multipart copies and S3 Bucket Keys), UpdateObjectEncryption also Encrypt; objects still
 *   under a previous key are read with Decrypt;
 * - envelope buckets whose objects are already SSE-KMS keep that layer beneath the envelope: S3
 *   decrypts the read and encrypts the write under the object's own key.
 */
export function encryptKms(config: DeployConfig): Statement[] {
  const grants: KeyGrant[] = [];
  for (const bucket of config.buckets) {
    if (bucket.mode === 'envelope') {
      grants.push({ actions: ['GenerateDataKey'], keys: [bucket.kmsKeyArn!], condition: ENVELOPE_CONTEXT });
      grants.push({ actions: ['Decrypt'], keys: bucketKeys(bucket), condition: ENVELOPE_CONTEXT });
      grants.push({ actions: ['Decrypt', 'GenerateDataKey'], keys: bucketKeys(bucket), condition: VIA_S3 });
    } else if (bucket.mode === 'sse-kms') {
      grants.push({
        actions: ['Decrypt', 'Encrypt', 'GenerateDataKey'],
        keys: [bucket.kmsKeyArn!],
        condition: VIA_S3,
      });
      grants.push({ actions: ['Decrypt'], keys: bucket.previousKmsKeyArns, condition: VIA_S3 });
    }
  }
  return kmsStatements('Kms', grants);
}

/**
 * SSE-C migration: the encrypt handler decrypts the deployment's customer key blob once per cold
 * start (shared/s3/sse-c-key-source.ts), and only a blob under that purpose's encryption context.
 */
export function sseCustomerKeyDecrypt(config: DeployConfig): Statement[] {
  if (!config.sseC) return [];
  return [
    {
      Sid: 'SseCustomerKeyDecrypt',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [config.sseC.kmsKeyArn],
      Condition: { StringEquals: { 'kms:EncryptionContext:purpose': SSE_C_KEY_CONTEXT.purpose } },
    },
  ];
}

/**
 * KMS for the rewrap handler:
 * - envelope: ReEncrypt of the wrapped data key with the S3EC context as source and destination
 *   (shared/kms/key-service.ts): ReEncryptFrom on every key the bucket's objects may be under
 *   (a retry also asks the target key, to learn the data key is already there), ReEncryptTo on
 *   the current key; an envelope's own SSE-KMS layer under a previous key moves to the current key
 *   with it (in the metadata-only copy, or alone by UpdateObjectEncryption or a copy), through S3;
 * - sse-kms: S3 moves the object to the current key (UpdateObjectEncryption, or a copy in place):
 *   Decrypt and ReEncryptFrom on the source key, the full set on the current key (a rotation
 *   re-encrypts under the same key).
 */
export function rewrapKms(config: DeployConfig): Statement[] {
  const grants: KeyGrant[] = [];
  for (const bucket of config.buckets) {
    if (bucket.mode === 'envelope') {
      grants.push({ actions: ['ReEncryptFrom'], keys: bucketKeys(bucket), condition: ENVELOPE_CONTEXT });
      grants.push({ actions: ['ReEncryptTo'], keys: [bucket.kmsKeyArn!], condition: ENVELOPE_CONTEXT });
      grants.push({ actions: ['Decrypt', 'GenerateDataKey'], keys: bucketKeys(bucket), condition: VIA_S3 });
      grants.push({ actions: ['Encrypt', 'ReEncryptTo'], keys: [bucket.kmsKeyArn!], condition: VIA_S3 });
      grants.push({ actions: ['ReEncryptFrom'], keys: bucketKeys(bucket), condition: VIA_S3 });
    } else if (bucket.mode === 'sse-kms') {
      grants.push({
        actions: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'ReEncryptFrom', 'ReEncryptTo'],
        keys: [bucket.kmsKeyArn!],
        condition: VIA_S3,
      });
      grants.push({
        actions: ['Decrypt', 'ReEncryptFrom'],
        keys: bucket.previousKmsKeyArns,
        condition: VIA_S3,
      });
    }
  }
  return kmsStatements('Kms', grants);
}

/**
 * The planner checks a target key is usable (DescribeKey) and resolves rotation aliases. KMS
 * authorises DescribeKey by alias on the key behind it, so a retargeted alias must point at a
 * configured key: add the new key to the config before moving the alias.
 */
export function plannerKms(config: DeployConfig): Statement[] {
  return kmsStatements('Kms', [
    { actions: ['DescribeKey'], keys: config.buckets.flatMap(bucketKeys), condition: undefined },
  ]);
}
