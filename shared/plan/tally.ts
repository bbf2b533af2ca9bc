import { type ComplianceDecision, decideCompliance, type ObjectState } from '../compliance.js';
import type { ProtectionPolicy } from '../policy.js';
import { protectionStateOf } from '../protection-state.js';

/** What protection an object carries today, as `plan` reports it (docs/large-buckets.md). */
export const OBJECT_STATES = [
  'unencrypted',
  'sse-s3',
  'sse-kms-policy-key',
  'sse-kms-other-key',
  /** An inventory row without a KMS key column: the key is known only after a HEAD. */
  'sse-kms-key-unknown',
  'dsse-kms',
  'envelope-v2',
  'envelope-v3',
  'client-side-other',
  'sse-c',
  'archived',
  /** Listed, but gone (404) by the time of the HEAD. */
  'missing',
  /** An inventory row naming another bucket, or a key that is not valid URL encoding: skipped. */
  'unusable-row',
] as const;
export type ObjectStateName = (typeof OBJECT_STATES)[number];

/** {@link protectionStateOf}, with SSE-KMS told apart by the policy's key. */
export function stateOf(object: ObjectState, policy: ProtectionPolicy): ObjectStateName {
  const state = protectionStateOf(object);
  if (state !== 'sse-kms') return state;
  if (!object.kmsKeyArn) return 'sse-kms-key-unknown';
  return object.kmsKeyArn === policy.keyArn ? 'sse-kms-policy-key' : 'sse-kms-other-key';
}

/**
 * What a run would do with an object, as one label: `compliant`, `protect:<method>`,
 * `skip:<reason>`, or `head-decides` when the inventory row cannot say (an SSE-KMS row without a
 * key column under an sse-kms policy: the run's own HEAD decides between compliant and a copy).
 */
export function actionOf(
  object: ObjectState,
  state: ObjectStateName,
  policy: ProtectionPolicy,
  useUpdate: boolean,
) {
  if (state === 'missing') return 'skip:missing';
  if (state === 'sse-kms-key-unknown' && policy.mode === 'sse-kms') return 'head-decides';
  return actionLabel(decideCompliance(object, policy, { useUpdateObjectEncryption: useUpdate }));
}

function actionLabel(decision: ComplianceDecision): string {
  if (decision.action === 'compliant') return 'compliant';
  return decision.action === 'skip' ? `skip:${decision.reason}` : `protect:${decision.method}`;
}

export interface Amount {
  count: number;
  bytes: number;
}

/** Counts and bytes of a bucket's objects by state, storage class and planned action. */
export interface PlanTally {
  objects: Amount;
  byState: Record<string, Amount>;
  byStorageClass: Record<string, Amount>;
  byAction: Record<string, Amount>;
  /**
   * Inventory plans: the part of `byAction` a run settles from the rows alone, with no S3 request
   * and no job (docs/large-buckets.md, "Rows settled from the inventory").
   */
  settledFromInventory: Record<string, Amount>;
  deleteMarkers: number;
  /** Older versions (versioned buckets): s3-seal protects current versions and never deletes old ones. */
  noncurrentVersions: Amount;
  /** Older versions with neither server-side nor client-side encryption: plaintext left behind. */
  plaintextVersions: Amount;
  /** Objects whose HEAD failed (not 404): counted nowhere else. */
  headFailures: { count: number; example?: string };
  /**
   * sse-kms: objects under a KMS key other than the policy's, by that key, with what the run would
   * do to them (`rekey` or `leave`; docs/architecture.md, "Compliance"). Part of `byAction`.
   */
  otherKmsKeys: Record<string, Amount & { action: 'rekey' | 'leave' }>;
}

export function emptyTally(): PlanTally {
  return {
    objects: { count: 0, bytes: 0 },
    byState: {},
    byStorageClass: {},
    byAction: {},
    settledFromInventory: {},
    deleteMarkers: 0,
    noncurrentVersions: { count: 0, bytes: 0 },
    plaintextVersions: { count: 0, bytes: 0 },
    headFailures: { count: 0 },
    otherKmsKeys: {},
  };
}

function add(amounts: Record<string, Amount>, name: string, bytes: number): void {
  amounts[name] ??= { count: 0, bytes: 0 };
  const amount = amounts[name];
  amount.count += 1;
  amount.bytes += bytes;
}

const OTHER_KMS_KEY_ACTIONS: Record<string, 'rekey' | 'leave'> = {
  'protect:rekey': 'rekey',
  'skip:under-another-kms-key': 'leave',
};

/** Counts one current object (with its KMS key: objects under another key are counted by it too). */
export function countObject(
  tally: PlanTally,
  entry: { state: ObjectStateName; action: string; size: number; storageClass?: string; kmsKeyArn?: string },
): void {
  const other = OTHER_KMS_KEY_ACTIONS[entry.action];
  if (other && entry.kmsKeyArn) {
    tally.otherKmsKeys[entry.kmsKeyArn] ??= { count: 0, bytes: 0, action: other };
    tally.otherKmsKeys[entry.kmsKeyArn]!.count += 1;
    tally.otherKmsKeys[entry.kmsKeyArn]!.bytes += entry.size;
  }
  tally.objects.count += 1;
  tally.objects.bytes += entry.size;
  add(tally.byState, entry.state, entry.size);
  add(tally.byStorageClass, entry.storageClass ?? 'STANDARD', entry.size);
  add(tally.byAction, entry.action, entry.size);
}

/** Notes that the run would settle one counted object from its inventory row, under `action`. */
export function countSettled(tally: PlanTally, action: string, size: number): void {
  add(tally.settledFromInventory, action, size);
}

/** Counts one noncurrent version; `plaintext` when it carries no protection at all. */
export function countNoncurrent(tally: PlanTally, size: number, plaintext: boolean): void {
  tally.noncurrentVersions.count += 1;
  tally.noncurrentVersions.bytes += size;
  if (plaintext) {
    tally.plaintextVersions.count += 1;
    tally.plaintextVersions.bytes += size;
  }
}
