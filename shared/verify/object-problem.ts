import type { KMSClient } from '@aws-sdk/client-kms';
import { isCompliant } from '../compliance.js';
import { classifyClientSide, type EnvelopeFormat } from '../envelope/format.js';
import { checkDataKeyUnwraps } from '../envelope/open-object.js';
import { ConfigError, describeError } from '../errors.js';
import { resolveUsableKey } from '../kms/key-service.js';
import type { ProtectionMode, ProtectionPolicy } from '../policy.js';
import type { ObjectHead } from '../s3/object-head.js';

/** What `verify` requires, as the user asked for it. */
export interface VerifyRequirement {
  mode?: ProtectionMode;
  s3ecFormat?: EnvelopeFormat;
  key?: string;
}

/** What is wrong with one HEADed object (undefined: compliant); see {@link objectChecker}. */
export type ProblemOf = (head: ObjectHead) => Promise<string | undefined>;

/** Refuses requirements that mean nothing, before any request. */
export function checkRequirement(options: VerifyRequirement): void {
  if (options.mode === 'sse-s3' && options.key) throw new ConfigError('--key is not used with --mode sse-s3');
  // Only V3 is a requirement verify can check: any readable V2 or V3 envelope counts as protected.
  if (options.s3ecFormat !== undefined && options.mode !== 'envelope') {
    throw new ConfigError('--s3ec-format is used only with --mode envelope');
  }
  if (options.s3ecFormat === 'v2') {
    throw new ConfigError(
      '--s3ec-format v2 requires nothing (V2 and V3 envelopes both pass); --s3ec-format v3 flags V2',
    );
  }
}

/**
 * The per-object check for a requirement: with a mode, that mode (under the key, when given); with
 * only a key, protection under that key by any means; with neither, any protection.
 */
export async function objectChecker(kms: KMSClient, options: VerifyRequirement): Promise<ProblemOf> {
  const policy: ProtectionPolicy | undefined = options.mode
    ? {
        mode: options.mode,
        keyArn: options.key ? await resolveUsableKey(kms, options.key) : undefined,
        format: options.s3ecFormat,
      }
    : undefined;
  const keyOnly = !options.mode && options.key ? await resolveUsableKey(kms, options.key) : undefined;
  return (head) => (keyOnly ? problemUnderKey(head, keyOnly, kms) : problemWith(head, policy, kms));
}

/** What is wrong with one object, or undefined when it is compliant. */
async function problemWith(
  head: ObjectHead,
  policy: ProtectionPolicy | undefined,
  kms: KMSClient,
): Promise<string | undefined> {
  // SSE-C is protection s3-seal can neither check nor manage (docs/safety.md, "SSE-C objects").
  if (head.sseCustomerAlgorithm) return describeSseCustomer(head);
  const clientSide = classifyClientSide(head.metadata);
  if (clientSide.kind === 'unreadable')
    return `client-side format s3-seal cannot verify: ${clientSide.detail}`;
  if (clientSide.kind === 'malformed') return `malformed envelope: ${clientSide.detail}`;
  if (clientSide.kind === 'readable') {
    const format = clientSide.envelope.format;
    if (policy?.mode === 'envelope' && policy.format === 'v3' && format !== 'v3') {
      return `S3EC ${format} envelope, not v3 (upgrade it: encrypt --mode envelope --upgrade-format)`;
    }
    try {
      const keyArn = await checkDataKeyUnwraps(kms, head.metadata);
      if (policy?.keyArn && policy.mode === 'envelope' && keyArn !== policy.keyArn) {
        return `S3EC ${format} data key is wrapped under ${keyArn}, not ${policy.keyArn}`;
      }
      return undefined;
    } catch (error) {
      return `S3EC ${format} data key does not unwrap: ${describeError(error)}`;
    }
  }
  if (policy) {
    return isCompliant(head, policy)
      ? undefined
      : `not ${policy.mode}${policy.keyArn ? ` under ${policy.keyArn}` : ''} (${describe(head)})`;
  }
  // Without a policy: any protection s3-seal applies counts (SSE-S3, SSE-KMS, DSSE-KMS, envelope).
  return head.serverSideEncryption ? undefined : 'unencrypted';
}

/**
 * `--key K` without `--mode`: the object must be protected under K, by any means. Server-side that
 * is SSE-KMS or DSSE-KMS with K's ARN; SSE-S3 and SSE-C are under keys K is not. A client-side
 * envelope must unwrap under K, which `problemWith`'s envelope rule checks with KMS.
 */
export function serverSideKeyProblem(head: ObjectHead, keyArn: string): string | undefined {
  const sse = head.serverSideEncryption;
  if (
    !head.sseCustomerAlgorithm &&
    (sse === 'aws:kms' || sse === 'aws:kms:dsse') &&
    head.kmsKeyArn === keyArn
  )
    return undefined;
  return `not protected under ${keyArn} (${describe(head)})`;
}

async function problemUnderKey(
  head: ObjectHead,
  keyArn: string,
  kms: KMSClient,
): Promise<string | undefined> {
  return classifyClientSide(head.metadata).kind !== 'none' && !head.sseCustomerAlgorithm
    ? problemWith(head, { mode: 'envelope', keyArn }, kms)
    : serverSideKeyProblem(head, keyArn);
}

function describeSseCustomer(head: ObjectHead): string {
  if (head.sseCustomerKeyMatches === true) {
    return 'SSE-C (customer-provided key; the given key opens it: encrypt --sse-c-key-file migrates it)';
  }
  if (head.sseCustomerKeyMatches === false) return 'SSE-C (customer-provided key; not the given key)';
  return 'SSE-C (customer-provided key)';
}

function describe(head: ObjectHead): string {
  if (head.sseCustomerAlgorithm) return 'SSE-C';
  if (!head.serverSideEncryption) return 'unencrypted';
  return head.kmsKeyArn ? `${head.serverSideEncryption} under ${head.kmsKeyArn}` : head.serverSideEncryption;
}
