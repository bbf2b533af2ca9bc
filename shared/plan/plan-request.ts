import type { ProtectionMode } from '../policy.js';

/** What `s3-seal plan` is asked: one bucket and prefix, a policy, and how to model the run. */
export interface PlanRequest {
  bucket: string;
  prefix: string;
  mode: ProtectionMode;
  /** KMS key reference (id, ARN, alias): resolved with DescribeKey, which writes nothing. */
  key?: string;
  /** sse-kms: `rekey` (default) or `leave` objects under another KMS key. */
  otherKmsKeys?: string;
  /** `s3://BUCKET/PATH/manifest.json` of an S3 Inventory report of the bucket. */
  inventory?: string;
  lambdaConcurrency: number;
  prefixPartitions: number;
  /** Inventory mode: rows HEADed per state the inventory cannot settle. */
  sampleSize: number;
  concurrency: number;
  useUpdateObjectEncryption: boolean;
}
