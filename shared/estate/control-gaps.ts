import type { ProtectionPolicy } from '../policy.js';
import type { BucketControls } from './bucket-controls.js';
import { shortKey } from './upload-enforcement.js';

/** Write-time controls a bucket lacks for a policy (docs/estate.md, "Controls"). */
export type ControlGap = 'default-encryption' | 'bucket-key' | 'deny-policy';

/**
 * Which write-time controls the bucket lacks for the policy: default encryption that already gives
 * new uploads the policy's protection (under sse-kms: its key, with S3 Bucket Key), and a bucket
 * policy that refuses uploads asking for anything else. Envelope mode is client-side: no server
 * control makes an upload compliant, so it lacks none. `defaultKeyArn` is the default encryption's
 * key resolved to an ARN (a configuration may name an alias or a key id).
 */
export function controlGaps(
  controls: BucketControls,
  policy: ProtectionPolicy,
  defaultKeyArn: string | undefined,
): ControlGap[] {
  if (policy.mode === 'envelope') return [];
  const gaps: ControlGap[] = [];
  const byDefault = controls.defaultEncryption;
  const upload = controls.uploadPolicy;
  if (policy.mode === 'sse-kms') {
    const kms = byDefault?.algorithm === 'aws:kms' || byDefault?.algorithm === 'aws:kms:dsse';
    if (!kms || defaultKeyArn !== policy.keyArn) gaps.push('default-encryption');
    if (!byDefault?.bucketKeyEnabled) gaps.push('bucket-key');
    const key = policy.keyArn ?? '';
    const keyEnforced = upload.keys?.some((k) => k === key || k === shortKey(key)) ?? false;
    if (!keyEnforced) gaps.push('deny-policy');
  } else {
    if (!byDefault) gaps.push('default-encryption');
    if (!upload.headerRequired && !upload.algorithms && !upload.deniesSseC) gaps.push('deny-policy');
  }
  // What S3 would not show is reported as unreadable (the row's notes), not as missing.
  return gaps.filter((gap) =>
    gap === 'deny-policy' ? !controls.unreadable.bucketPolicy : !controls.unreadable.defaultEncryption,
  );
}
