import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ProtectMethod } from '../compliance.js';
import type { Config } from '../config.js';
import { customContextOf } from '../envelope/format.js';
import { openObject } from '../envelope/open-object.js';
import { sealObjectInPlace } from '../envelope/seal-object.js';
import type { ProtectionPolicy } from '../policy.js';
import { copyInPlace, type ServerSideTarget } from '../s3/copy-in-place.js';
import type { HeldBody } from '../s3/get-to-decide.js';
import type { MultipartTracker } from '../s3/multipart-tracker.js';
import type { ObjectHead } from '../s3/object-head.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import { moveToKmsKey } from '../s3/update-encryption.js';

export interface WriteResult {
  etag: string;
  versionId?: string;
  keyArn?: string;
  kmsRequestIds?: string[];
}

type ProtectConfig = Pick<
  Config,
  'multipartThresholdBytes' | 'copyMultipartThresholdBytes' | 'copyPartSizeBytes'
>;

/** Applies the protection a decision chose. Every path writes conditionally on `head.etag`. */
export async function protectObject(
  deps: {
    s3: S3Client;
    kms: KMSClient;
    config: ProtectConfig;
    sseCustomerKey?: SseCustomerKey;
    /** Keeps a multipart write's upload in the ledger (docs/architecture.md, "Large objects"). */
    multipart?: MultipartTracker;
    /**
     * The body of the GET the decision was made on (docs/architecture.md, "Deciding on the GET"):
     * an envelope seal encrypts it instead of sending a GET of its own. Taken by the seal only.
     */
    plaintext?: HeldBody;
  },
  head: ObjectHead,
  policy: ProtectionPolicy,
  method: ProtectMethod,
  iv: Uint8Array | undefined,
  afterDataKey: () => void,
): Promise<WriteResult> {
  const { s3, kms, config } = deps;
  const copyOptions = {
    multipartThresholdBytes: config.copyMultipartThresholdBytes,
    partSizeBytes: config.copyPartSizeBytes,
    multipart: deps.multipart,
  };
  const seal = async (sourceSseCustomerKey?: SseCustomerKey): Promise<WriteResult> => {
    const held = deps.plaintext;
    const sealed = await sealObjectInPlace({ s3, kms }, head, policy.keyArn!, iv!, {
      format: policy.format,
      partSizeBytes: config.multipartThresholdBytes,
      afterDataKey,
      sourceSseCustomerKey,
      multipart: deps.multipart,
      ...(held ? { openSource: async () => held } : {}),
    });
    return { ...sealed, kmsRequestIds: sealed.kmsRequestId ? [sealed.kmsRequestId] : [] };
  };
  switch (method) {
    case 'envelope':
      return seal();
    case 'sse-c-migration': {
      // The customer key that opened the object at HEAD reads it here (encrypt-object.ts).
      if (policy.mode === 'envelope') return seal(deps.sseCustomerKey);
      const target: ServerSideTarget = {
        serverSideEncryption: 'aws:kms',
        kmsKeyArn: policy.keyArn,
        bucketKeyEnabled: true,
      };
      const copied = await copyInPlace(s3, head, target, {
        ...copyOptions,
        sourceSseCustomerKey: deps.sseCustomerKey,
      });
      return { ...copied, keyArn: target.kmsKeyArn };
    }
    case 'upgrade-format': {
      // Streams the old envelope's plaintext straight into a new V3 envelope: memory stays at a few
      // parts. GCM authenticates the old body only at its end; a failure there fails the upload
      // (lib-storage aborts a multipart upload), so an altered object is never re-encrypted.
      const sealed = await sealObjectInPlace({ s3, kms }, head, policy.keyArn!, iv!, {
        format: 'v3',
        partSizeBytes: config.multipartThresholdBytes,
        afterDataKey,
        multipart: deps.multipart,
        openSource: async () => {
          const opened = await openObject({ s3, kms }, head.bucket, head.key, {
            ifMatch: head.etag,
            versionId: head.versionId,
          });
          return {
            body: opened.plaintext,
            plaintextLength: opened.plaintextLength,
            tagCount: opened.tagCount,
            checksumAlgorithm: opened.checksumAlgorithm,
            // The old data key's custom pairs bind the new one too: dropping them would break
            // readers and key policies that require them (x-amz-matdesc -> x-amz-t).
            customContext: customContextOf(opened.envelope.encryptionContext),
          };
        },
      });
      return { ...sealed, kmsRequestIds: sealed.kmsRequestId ? [sealed.kmsRequestId] : [] };
    }
    case 'rekey':
    case 'copy-in-place': {
      // A re-key is the same conditional copy, onto the policy key (docs/architecture.md, "Compliance").
      const target: ServerSideTarget =
        policy.mode === 'sse-kms'
          ? { serverSideEncryption: 'aws:kms', kmsKeyArn: policy.keyArn, bucketKeyEnabled: true }
          : { serverSideEncryption: 'AES256' };
      const copied = await copyInPlace(s3, head, target, copyOptions);
      return { ...copied, keyArn: target.kmsKeyArn };
    }
    case 'update-encryption': {
      const moved = await moveToKmsKey(
        s3,
        head,
        { kmsKeyArn: policy.keyArn!, bucketKeyEnabled: true },
        { ...copyOptions, useUpdateObjectEncryption: true },
      );
      return { ...moved, keyArn: policy.keyArn };
    }
  }
}
