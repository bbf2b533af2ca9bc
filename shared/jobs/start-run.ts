import type { KMSClient } from '@aws-sdk/client-kms';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { httpStatus } from '../aws-errors.js';
import { ConfigError } from '../errors.js';
import { resolveUsableKey } from '../kms/key-service.js';
import { needsKey, PROTECTION_MODES, type ProtectionMode, type ProtectionPolicy } from '../policy.js';
import type { QueueUrls } from '../queues.js';
import { newRunId, type Run, type RunStore } from '../runs/run-store.js';
import type { ScanMessage } from './messages.js';

export interface StartRunInput {
  bucket: string;
  prefix: string;
  mode: string;
  key?: string;
  /** Migrate SSE-C objects written with the customer key of this fingerprint (workers hold the key). */
  sseCustomerKeyMd5?: string;
}

/**
 * Validates a backfill request and starts it: the mode is known, the key resolves to an enabled
 * symmetric KMS key, the bucket exists and is reachable. Only then is a run recorded and its first
 * scan page queued, so bad input changes nothing.
 */
export async function startRun(
  deps: { s3: S3Client; kms: KMSClient; sqs: SQSClient; runs: RunStore; queues: QueueUrls },
  input: StartRunInput,
): Promise<Run> {
  if (!(PROTECTION_MODES as readonly string[]).includes(input.mode)) {
    throw new ConfigError(`unknown mode "${input.mode}" (expected ${PROTECTION_MODES.join(', ')})`);
  }
  const mode = input.mode as ProtectionMode;
  if (needsKey(mode) && !input.key) throw new ConfigError(`--key is required with --mode ${mode}`);
  if (!needsKey(mode) && input.key)
    throw new ConfigError('--key is not used with --mode sse-s3 (S3 manages that key)');
  if (input.sseCustomerKeyMd5 && mode === 'sse-s3') {
    throw new ConfigError('SSE-C objects migrate only to --mode sse-kms or envelope');
  }
  const keyArn = input.key ? await resolveUsableKey(deps.kms, input.key) : undefined;
  await assertBucketReachable(deps.s3, input.bucket);

  const run = await deps.runs.create({
    runId: newRunId(),
    bucket: input.bucket,
    prefix: input.prefix,
    mode,
    keyArn,
    sseCustomerKeyMd5: input.sseCustomerKeyMd5,
    startedAt: new Date().toISOString(),
  });
  const first: ScanMessage = {
    type: 'scan',
    runId: run.runId,
    bucket: run.bucket,
    prefix: run.prefix,
    mode,
    keyArn,
    sseCustomerKeyMd5: input.sseCustomerKeyMd5,
    page: 1,
  };
  await deps.sqs.send(
    new SendMessageCommand({ QueueUrl: deps.queues.scan, MessageBody: JSON.stringify(first) }),
  );
  return run;
}

/** Checks a mode and key as the user typed them and resolves the key to its ARN. */
export async function resolvePolicy(
  kms: KMSClient,
  modeInput: string,
  key?: string,
): Promise<ProtectionPolicy> {
  if (!(PROTECTION_MODES as readonly string[]).includes(modeInput)) {
    throw new ConfigError(`unknown mode "${modeInput}" (expected ${PROTECTION_MODES.join(', ')})`);
  }
  const mode = modeInput as ProtectionMode;
  if (needsKey(mode) && !key) throw new ConfigError(`--key is required with --mode ${mode}`);
  if (!needsKey(mode) && key)
    throw new ConfigError('--key is not used with --mode sse-s3 (S3 manages that key)');
  return { mode, keyArn: key ? await resolveUsableKey(kms, key) : undefined };
}

export async function assertBucketReachable(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) throw new ConfigError(`bucket ${bucket} does not exist`, { cause: error });
    if (status === 403) throw new ConfigError(`access to bucket ${bucket} is denied`, { cause: error });
    throw error;
  }
}
