import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { decideCompliance, type ProtectMethod } from '../compliance.js';
import type { Config } from '../config.js';
import { parseObjectMetadata } from '../envelope/format.js';
import { wrappingKeyCheck } from '../kms/key-service.js';
import type { ProtectionPolicy } from '../policy.js';
import { headObject, type ObjectHead } from '../s3/object-head.js';

export interface UploadCheckDeps {
  s3: S3Client;
  kms: KMSClient;
  config: Pick<Config, 'useUpdateObjectEncryption'>;
}

/**
 * What one HEAD says of an uploaded object before anything is recorded. `compliant`: nothing to
 * record. Otherwise the object needs a write (`method`) or a skip or failure decision, which the
 * event's chunk records; `head` is undefined when the object is gone.
 */
export type UploadCheck =
  | { compliant: true; detail: string; head: ObjectHead }
  | { compliant: false; head: ObjectHead | undefined; method?: ProtectMethod };

/**
 * Whether the object an event names is already as its watch wants it (docs/architecture.md, "Live
 * enforcement"): then the event is the echo of s3-seal's own write, or an upload compliant when
 * written (bucket default encryption), and is acknowledged without a chunk: no claim, no log, no
 * count. This is the only way an echo is told apart now that no item is kept per object.
 *
 * A readable envelope in envelope mode is compliant only under the watch's key, which its metadata
 * cannot show: KMS is asked once (Decrypt naming the key). Any answer but a match goes to the
 * chunk, whose decision records the skip with its reason.
 */
export async function checkUpload(
  deps: UploadCheckDeps,
  bucket: string,
  key: string,
  policy: ProtectionPolicy,
): Promise<UploadCheck> {
  const head = await headObject(deps.s3, bucket, key);
  if (!head) return { compliant: false, head };
  const decision = decideCompliance(head, policy, deps.config);
  if (decision.action === 'protect') return { compliant: false, head, method: decision.method };
  if (decision.action === 'skip') return { compliant: false, head };
  if (!decision.envelopeFormat) return { compliant: true, detail: decision.detail, head };
  if (!policy.keyArn) return { compliant: false, head };
  const envelope = parseObjectMetadata(head.metadata);
  const verdict = await wrappingKeyCheck(
    deps.kms,
    envelope.wrappedKey,
    envelope.encryptionContext,
    policy.keyArn,
  );
  return verdict === 'match'
    ? { compliant: true, detail: decision.detail, head }
    : { compliant: false, head };
}
