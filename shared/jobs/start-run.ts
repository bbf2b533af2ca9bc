import type { KMSClient } from '@aws-sdk/client-kms';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { httpStatus } from '../aws-errors.js';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import { DEFAULT_SCAN_CHAINS, MAX_SCAN_CHAINS } from '../config.js';
import { ENVELOPE_FORMATS, type EnvelopeFormat } from '../envelope/format.js';
import { ConfigError } from '../errors.js';
import { dataFileMessages, readRunInventory } from '../inventory/run-inventory.js';
import { resolveUsableKey } from '../kms/key-service.js';
import {
  needsKey,
  OTHER_KMS_KEYS,
  type OtherKmsKeys,
  PROTECTION_MODES,
  type ProtectionMode,
  type ProtectionPolicy,
} from '../policy.js';
import type { QueueUrls } from '../queues.js';
import { newRunId, type Run, type RunStore } from '../runs/run-store.js';
import { queueBody } from '../sqs-text.js';
import { assertSigningKeyUsable } from '../transparency/signing-key.js';
import { firstChain } from './chain-plan.js';
import type { InventoryFileMessage, RunMessageFields, ScanMessage } from './messages.js';
import { sendInBatches } from './scan-page.js';

export interface StartRunInput {
  bucket: string;
  prefix: string;
  mode: string;
  key?: string;
  /** Envelope mode: `v3` (default) or `v2`. */
  format?: string;
  /** Envelope mode: re-encrypt V2 envelopes to V3. */
  upgradeFormat?: boolean;
  /** Re-apply each rewritten object's ACL grants. */
  keepAcl?: boolean;
  /** sse-kms mode: `rekey` (default) or `leave` objects under another KMS key. */
  otherKmsKeys?: string;
  /** Migrate SSE-C objects written with the customer key of this fingerprint (workers hold the key). */
  sseCustomerKeyMd5?: string;
  /** `s3://BUCKET/PATH/manifest.json`: enumerate from this S3 Inventory report instead of listing. */
  inventory?: string;
  /** The most listing chains the listing splits into (docs/large-buckets.md, "Listing chains"). */
  scanChains?: number;
  /**
   * Called once the input is accepted, before the run is recorded or anything queued (so before any
   * write): where the CLI says what the run will do to the objects' readers.
   */
  onAccepted?: (accepted: AcceptedRun) => void;
}

/** What a validated run will do: its mode, resolved key and envelope format. */
export interface AcceptedRun {
  mode: ProtectionMode;
  keyArn?: string;
  format?: EnvelopeFormat;
  upgradeFormat?: boolean;
}

/** Checks the envelope options against the mode; returns the format to record (envelope only). */
export function envelopeOptions(
  mode: ProtectionMode,
  input: { format?: string; upgradeFormat?: boolean },
): { format?: EnvelopeFormat; upgradeFormat?: boolean } {
  if (input.format !== undefined && !(ENVELOPE_FORMATS as readonly string[]).includes(input.format)) {
    throw new ConfigError(`unknown format "${input.format}" (expected ${ENVELOPE_FORMATS.join(', ')})`);
  }
  if (mode !== 'envelope') {
    if (input.format !== undefined) throw new ConfigError('--s3ec-format is used only with --mode envelope');
    if (input.upgradeFormat) throw new ConfigError('--upgrade-format is used only with --mode envelope');
    return {};
  }
  const format = (input.format ?? 'v3') as EnvelopeFormat;
  if (input.upgradeFormat && format !== 'v3') {
    throw new ConfigError(
      '--upgrade-format re-encrypts V2 envelopes to V3: it cannot be combined with --s3ec-format v2',
    );
  }
  return { format, upgradeFormat: input.upgradeFormat ? true : undefined };
}

/**
 * Checks `--other-kms-keys` against the mode; returns the choice to record (sse-kms only). Only
 * sse-kms moves SSE-KMS objects between keys: envelope mode seals them whatever their key, and
 * sse-s3 counts them compliant (docs/architecture.md, "Compliance").
 */
export function otherKmsKeysOption(mode: ProtectionMode, input?: string): OtherKmsKeys | undefined {
  if (input === undefined) return undefined;
  if (!(OTHER_KMS_KEYS as readonly string[]).includes(input)) {
    throw new ConfigError(`unknown --other-kms-keys "${input}" (expected ${OTHER_KMS_KEYS.join(', ')})`);
  }
  if (mode !== 'sse-kms') throw new ConfigError('--other-kms-keys is used only with --mode sse-kms');
  return input as OtherKmsKeys;
}

/**
 * Validates a backfill request and starts it: the mode is known, the key resolves to an enabled
 * symmetric KMS key, the bucket exists and is reachable. Only then is a run recorded and its first
 * scan page queued, so bad input changes nothing.
 */
export async function startRun(
  deps: {
    s3: S3Client;
    kms: KMSClient;
    sqs: SQSClient;
    runs: RunStore;
    queues: QueueUrls;
    /** Where the run's chunk logs go: checked before the run is recorded (absent: not checked). */
    auditLocation?: AuditLocation;
    /** The key that signs the transparency log: checked before the run is recorded (absent: not checked). */
    transparencyLog?: { keyId: string };
  },
  input: StartRunInput,
): Promise<Run> {
  if (!(PROTECTION_MODES as readonly string[]).includes(input.mode)) {
    throw new ConfigError(`unknown mode "${input.mode}" (expected ${PROTECTION_MODES.join(', ')})`);
  }
  const mode = input.mode as ProtectionMode;
  if (needsKey(mode) && !input.key) throw new ConfigError(`--key is required with --mode ${mode}`);
  if (!needsKey(mode) && input.key)
    throw new ConfigError('--key is not used with --mode sse-s3 (S3 manages that key)');
  const envelope = envelopeOptions(mode, input);
  const otherKmsKeys = otherKmsKeysOption(mode, input.otherKmsKeys);
  const scanChains = input.scanChains ?? DEFAULT_SCAN_CHAINS;
  if (!Number.isInteger(scanChains) || scanChains < 1 || scanChains > MAX_SCAN_CHAINS) {
    throw new ConfigError(`--scan-chains must be a whole number from 1 to ${MAX_SCAN_CHAINS}`);
  }
  if (input.inventory && input.scanChains !== undefined && scanChains > 1) {
    throw new ConfigError(
      '--scan-chains splits a listing; an --inventory run reads one data file per message',
    );
  }
  if (input.sseCustomerKeyMd5 && mode === 'sse-s3') {
    throw new ConfigError('SSE-C objects migrate only to --mode sse-kms or envelope');
  }
  const [keyArn, , , , manifest] = await allChecked([
    input.key ? resolveUsableKey(deps.kms, input.key) : undefined,
    assertBucketReachable(deps.s3, input.bucket),
    // Every chunk logs to the audit bucket: without it every page would fail, so refuse the run now.
    deps.auditLocation ? assertAuditBucketReachable(deps.s3, deps.auditLocation) : undefined,
    // Every committed chunk becomes a leaf of the log, signed with this key (docs/architecture.md).
    deps.transparencyLog ? assertSigningKeyUsable(deps.kms, deps.transparencyLog.keyId) : undefined,
    input.inventory ? readRunInventory(deps.s3, input.inventory, input.bucket) : undefined,
  ] as const);
  input.onAccepted?.({ mode, keyArn, ...envelope });

  const run = await deps.runs.create({
    runId: newRunId(),
    bucket: input.bucket,
    prefix: input.prefix,
    mode,
    keyArn,
    ...envelope,
    ...(input.keepAcl ? { keepAcl: true } : {}),
    ...(otherKmsKeys ? { otherKmsKeys } : {}),
    sseCustomerKeyMd5: input.sseCustomerKeyMd5,
    startedAt: new Date().toISOString(),
  });
  const fields = runMessageFields(run, mode);
  if (manifest) {
    // One message per data file: files are read in parallel (docs/large-buckets.md).
    const messages: InventoryFileMessage[] = dataFileMessages(manifest).map((file) => ({
      type: 'inventory-file',
      ...fields,
      ...file,
    }));
    await sendInBatches(deps.sqs, deps.queues.scan, messages);
    return run;
  }
  // The first page of the run's first chain: the whole prefix and budget (docs/large-buckets.md).
  const first: ScanMessage = { type: 'scan', ...fields, page: 1, chain: firstChain(run.prefix, scanChains) };
  await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queues.scan, MessageBody: queueBody(first) }));
  return run;
}

/**
 * Runs read-only checks side by side (a run starts a few round trips sooner) and reports a failure
 * as if they had run one after another: the first failing check in the list, whichever failed
 * first in time, so the same bad input always gets the same message.
 */
async function allChecked<T extends readonly unknown[]>(
  checks: T,
): Promise<{ -readonly [I in keyof T]: Awaited<T[I]> }> {
  const settled = await Promise.allSettled(checks);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [I in keyof T]: Awaited<T[I]>;
  };
}

/** The fields every scan-queue message of a run carries: what to protect, and how. */
export function runMessageFields(run: Run, mode: ProtectionMode): RunMessageFields {
  return {
    runId: run.runId,
    bucket: run.bucket,
    prefix: run.prefix,
    mode,
    keyArn: run.keyArn,
    ...(run.format ? { format: run.format } : {}),
    ...(run.upgradeFormat ? { upgradeFormat: true } : {}),
    ...(run.keepAcl ? { keepAcl: true } : {}),
    ...(run.otherKmsKeys ? { otherKmsKeys: run.otherKmsKeys } : {}),
    sseCustomerKeyMd5: run.sseCustomerKeyMd5,
  };
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

/** The deployment's audit bucket exists and is reachable (docs/architecture.md, "Audit trail in S3"). */
export async function assertAuditBucketReachable(s3: S3Client, location: AuditLocation): Promise<void> {
  try {
    await assertBucketReachable(s3, location.bucket);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `audit bucket s3://${location.bucket}/${location.prefix} is not usable (${error.message}): run \`s3-seal setup\` or set S3SEAL_AUDIT_BUCKET`,
      { cause: error },
    );
  }
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
