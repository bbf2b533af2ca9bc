import type { S3Client, ServerSideEncryption } from '@aws-sdk/client-s3';
import {
  type CopyOptions,
  type CopyResult,
  copyInPlace,
  type ServerSideTarget,
} from '../s3/copy-in-place.js';
import type { ObjectHead } from '../s3/object-head.js';
import { moveToKmsKey } from '../s3/update-encryption.js';

/**
 * The server-side layer of an object in a re-wrap (docs/architecture.md, "Re-wrap and upgrade"):
 * SSE-KMS and DSSE-KMS name a KMS key of their own, which may be the re-wrap's source key even when
 * the object is also a client-side envelope (a bucket whose default encryption uses the same key as
 * its applications' S3 Encryption Clients). A re-wrap from A moves every layer under A, or a
 * retired A would leave the object unreadable.
 */

/** The object is SSE-KMS or DSSE-KMS: its server-side layer names a KMS key. */
export function hasKmsLayer(head: ObjectHead): boolean {
  const sse = head.serverSideEncryption;
  return (sse === 'aws:kms' || sse === 'aws:kms:dsse') && head.kmsKeyArn !== undefined;
}

/** The server-side layer is under the source key of a move to another key (not a rotation). */
export function layerUnderSource(head: ObjectHead, fromKeyArn: string, toKeyArn: string): boolean {
  return fromKeyArn !== toKeyArn && hasKmsLayer(head) && head.kmsKeyArn === fromKeyArn;
}

/** The server-side layer is already under the target of a move to another key. */
export function layerUnderTarget(head: ObjectHead, fromKeyArn: string, toKeyArn: string): boolean {
  return fromKeyArn !== toKeyArn && hasKmsLayer(head) && head.kmsKeyArn === toKeyArn;
}

/**
 * The server-side encryption a re-wrap's copy in place writes: the layer moves to `toKeyArn` when
 * it was under `fromKeyArn` (same kind: DSSE stays dual-layer), and stays exactly as it is
 * otherwise (SSE-S3, another key, a rotation).
 */
export function serverSideAfterRewrap(
  head: ObjectHead,
  fromKeyArn: string,
  toKeyArn: string,
): ServerSideTarget {
  const moves = layerUnderSource(head, fromKeyArn, toKeyArn);
  return {
    serverSideEncryption: (head.serverSideEncryption ?? 'AES256') as ServerSideEncryption,
    kmsKeyArn: moves ? toKeyArn : head.kmsKeyArn,
    bucketKeyEnabled: head.bucketKeyEnabled,
  };
}

/** Whether moving the layer moves the object's bytes (UpdateObjectEncryption does not; it has no DSSE). */
export function layerMoveCopiesData(head: ObjectHead, useUpdateObjectEncryption: boolean): boolean {
  return !(useUpdateObjectEncryption && head.serverSideEncryption === 'aws:kms');
}

/**
 * Moves the object's SSE-KMS or DSSE-KMS layer to `toKeyArn`, bytes and metadata unchanged:
 * SSE-KMS by UpdateObjectEncryption where offered (else a conditional copy in place), DSSE-KMS by a
 * conditional copy in place that keeps it dual-layer (never a downgrade to single-layer SSE-KMS).
 */
export async function moveKmsLayer(
  s3: S3Client,
  head: ObjectHead,
  toKeyArn: string,
  options: CopyOptions & { useUpdateObjectEncryption: boolean },
): Promise<CopyResult> {
  if (head.serverSideEncryption === 'aws:kms:dsse') {
    return copyInPlace(s3, head, { serverSideEncryption: 'aws:kms:dsse', kmsKeyArn: toKeyArn }, options);
  }
  return moveToKmsKey(
    s3,
    head,
    { kmsKeyArn: toKeyArn, bucketKeyEnabled: head.bucketKeyEnabled ?? true },
    options,
  );
}
