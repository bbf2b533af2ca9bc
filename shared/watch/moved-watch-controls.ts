import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { KeyArns } from '../estate/key-arns.js';
import { isOwnStatement, statementTag } from '../estate/upload-policy.js';
import type { WatchMove } from './watch-moves.js';
import type { WatchPolicy, WatchPolicyStore } from './watch-policy.js';
import {
  type ControlChange,
  currentDefault,
  currentPolicy,
  defaultChange,
  policyChange,
} from './write-time-controls.js';

/**
 * The write-time controls `setup --watch` set for an sse-kms watch, carried from A to B with the
 * watch a re-wrap moved (docs/architecture.md, "Live enforcement"). Left under A they defeat the
 * move: deny statements naming A refuse the re-wrap's own copies under B and the watch's re-keys,
 * and a default under A puts every new upload under A (where `--other-kms-keys leave` keeps it).
 * - s3-seal's deny statements for the watch's prefix, when the bucket has them, are rewritten for B
 *   (nothing else in the policy changes; no statement is added where there was none);
 * - a default under A moves to B, same algorithm and Bucket Key, unless another watch on the
 *   bucket still names A (it is bucket-wide).
 * Nothing is changed here; each change's `apply` makes it, in order (read the next move's controls
 * after applying this one's).
 */
export async function movedWatchChanges(
  deps: { s3: S3Client; kms: KMSClient },
  move: WatchMove,
  watchesNow: WatchPolicy[],
): Promise<ControlChange[]> {
  if (move.mode !== 'sse-kms') return [];
  const { s3 } = deps;
  const changes: ControlChange[] = [];
  const current = await currentDefault(s3, move.bucket);
  const stillUnderA = watchesNow.some((w) => w.bucket === move.bucket && w.keyArn === move.fromKeyArn);
  if (
    !stillUnderA &&
    current?.algorithm.startsWith('aws:kms') &&
    current.kmsKeyId &&
    (await new KeyArns(deps.kms).resolve(current.kmsKeyId)) === move.fromKeyArn
  ) {
    changes.push(defaultChange(s3, move.bucket, current, { ...current, kmsKeyId: move.toKeyArn }));
  }
  const existing = await currentPolicy(s3, move.bucket);
  const tag = statementTag(move.prefix, move.suffix);
  const hasOurs = existing?.Statement.some((s) => isOwnStatement(s, tag));
  if (hasOurs) {
    const watch = watchesNow.find(
      (w) => w.bucket === move.bucket && w.notificationId === move.notificationId,
    );
    const change = policyChange(s3, existing, {
      bucket: move.bucket,
      prefix: move.prefix,
      suffix: move.suffix,
      policy: { mode: 'sse-kms', keyArn: move.toKeyArn, otherKmsKeys: watch?.otherKmsKeys },
    });
    if (change) changes.push(change);
  }
  return changes;
}

/**
 * Carries each moved sse-kms watch's write-time controls to its new key (movedWatchChanges), every
 * change reported before it is made and again once made: the CLI prints the lines, the planner
 * function logs them. Every re-wrap plan that moves a watch does this, from the CLI or on schedule.
 */
export async function carryWriteTimeControls(
  deps: { s3: S3Client; kms: KMSClient; watches: Pick<WatchPolicyStore, 'forBucket'> },
  moved: WatchMove[],
  report: (line: string) => void,
): Promise<void> {
  for (const move of moved) {
    for (const change of await movedWatchChanges(deps, move, await deps.watches.forBucket(move.bucket))) {
      report(`change  ${change.control}  s3://${move.bucket}: ${change.from} -> ${change.to}`);
      await change.apply();
      report(`changed ${change.control}  s3://${move.bucket}`);
    }
  }
}
