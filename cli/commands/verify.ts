import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { isCompliant } from '../../shared/compliance.js';
import { envelopeVersion } from '../../shared/envelope/format.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { ConfigError, describeError } from '../../shared/errors.js';
import { assertBucketReachable } from '../../shared/jobs/start-run.js';
import { resolveUsableKey } from '../../shared/kms/key-service.js';
import type { ProtectionMode, ProtectionPolicy } from '../../shared/policy.js';
import { headObject, type ObjectHead } from '../../shared/s3/object-head.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { cliRuntime } from '../runtime.js';

interface VerifyOptions {
  mode?: ProtectionMode;
  key?: string;
  concurrency: number;
}

/** What is wrong with one object, or undefined when it is compliant. */
async function problemWith(
  head: ObjectHead,
  policy: ProtectionPolicy | undefined,
  kms: ReturnType<typeof cliRuntime>['clients']['kms'],
): Promise<string | undefined> {
  if (envelopeVersion(head.metadata)) {
    try {
      const keyArn = await checkDataKeyUnwraps(kms, head.metadata);
      if (policy?.keyArn && policy.mode === 'envelope' && keyArn !== policy.keyArn) {
        return `envelope data key is wrapped under ${keyArn}, not ${policy.keyArn}`;
      }
      return undefined;
    } catch (error) {
      return `envelope data key does not unwrap: ${describeError(error)}`;
    }
  }
  if (policy) {
    return isCompliant(head, policy)
      ? undefined
      : `not ${policy.mode}${policy.keyArn ? ` under ${policy.keyArn}` : ''} (${describe(head)})`;
  }
  // Without a policy: any protection s3-seal applies counts (SSE-S3, SSE-KMS, DSSE-KMS, envelope).
  return head.serverSideEncryption || head.sseCustomerAlgorithm ? undefined : 'unencrypted';
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
  kms: ReturnType<typeof cliRuntime>['clients']['kms'],
): Promise<string | undefined> {
  return envelopeVersion(head.metadata)
    ? problemWith(head, { mode: 'envelope', keyArn }, kms)
    : serverSideKeyProblem(head, keyArn);
}

function describe(head: ObjectHead): string {
  if (head.sseCustomerAlgorithm) return 'SSE-C';
  if (!head.serverSideEncryption) return 'unencrypted';
  return head.kmsKeyArn ? `${head.serverSideEncryption} under ${head.kmsKeyArn}` : head.serverSideEncryption;
}

export async function verifyCommand(uri: string, options: VerifyOptions): Promise<number> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  if (options.mode === 'sse-s3' && options.key) throw new ConfigError('--key is not used with --mode sse-s3');
  const { clients } = cliRuntime();
  await assertBucketReachable(clients.s3, bucket);
  const policy: ProtectionPolicy | undefined = options.mode
    ? {
        mode: options.mode,
        keyArn: options.key ? await resolveUsableKey(clients.kms, options.key) : undefined,
      }
    : undefined;
  const keyOnly = !options.mode && options.key ? await resolveUsableKey(clients.kms, options.key) : undefined;
  const problemOf = (head: ObjectHead) =>
    keyOnly ? problemUnderKey(head, keyOnly, clients.kms) : problemWith(head, policy, clients.kms);
  const concurrency = options.concurrency;
  let checked = 0;
  let problems = 0;
  const pages = paginateListObjectsV2(
    { client: clients.s3 },
    { Bucket: bucket, Prefix: prefix || undefined },
  );
  for await (const page of pages) {
    const keys = (page.Contents ?? []).map((o) => o.Key!);
    for (let i = 0; i < keys.length; i += concurrency) {
      const found = await Promise.all(
        keys.slice(i, i + concurrency).map(async (key) => {
          const head = await headObject(clients.s3, bucket, key);
          return { key, problem: head ? await problemOf(head) : undefined };
        }),
      );
      for (const { key, problem } of found) {
        checked++;
        if (problem) {
          problems++;
          console.log(`NOT COMPLIANT  s3://${bucket}/${key}  ${problem}`);
        }
      }
      if (process.stderr.isTTY) process.stderr.write(`\rverified ${checked} objects…`);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(
    `verified ${checked} objects under s3://${bucket}/${prefix}: ${checked - problems} compliant, ${problems} not`,
  );
  return problems > 0 ? 1 : 0;
}
