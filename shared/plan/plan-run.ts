import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors.js';
import { readManifest } from '../inventory/manifest.js';
import { assertBucketReachable, otherKmsKeysOption } from '../jobs/start-run.js';
import { resolveUsableKey } from '../kms/key-service.js';
import { needsKey, type ProtectionPolicy } from '../policy.js';
import { tallyInventory } from './inventory-source.js';
import { type PlanScope, tallyListing } from './listing-source.js';
import type { PlanRequest } from './plan-request.js';
import { type InventorySummary, summarise } from './summary.js';
import { emptyTally } from './tally.js';

export type { PlanRequest };

export interface PlanDeps {
  s3: S3Client;
  kms: KMSClient;
}

/**
 * What a run would do, before any write: reads only (ListObjects*, HeadObject, GetObject of the
 * inventory, KMS DescribeKey, GetBucketVersioning). Never sends a PUT, COPY, DynamoDB write or SQS
 * message: integration tests count the requests.
 */
export async function planRun(deps: PlanDeps, request: PlanRequest) {
  if (needsKey(request.mode) && !request.key) {
    throw new ConfigError(`--mode ${request.mode} needs --key (the KMS key the run would use)`);
  }
  if (!needsKey(request.mode) && request.key) {
    throw new ConfigError('--key is not used with --mode sse-s3 (S3 manages that key)');
  }
  const otherKmsKeys = otherKmsKeysOption(request.mode, request.otherKmsKeys);
  const policy: ProtectionPolicy = {
    mode: request.mode,
    ...(otherKmsKeys ? { otherKmsKeys } : {}),
    keyArn: request.key && needsKey(request.mode) ? await resolveUsableKey(deps.kms, request.key) : undefined,
  };
  const scope: PlanScope = {
    s3: deps.s3,
    bucket: request.bucket,
    prefix: request.prefix,
    policy,
    useUpdateObjectEncryption: request.useUpdateObjectEncryption,
    concurrency: request.concurrency,
  };
  await assertBucketReachable(deps.s3, request.bucket);
  const tally = emptyTally();
  let inventory: InventorySummary | undefined;
  let listedKeys = 0;
  let versioned: boolean | undefined;
  const samples = [];
  if (request.inventory) {
    const manifest = await readManifest(deps.s3, request.inventory);
    const read = await tallyInventory(scope, manifest, tally, request.sampleSize);
    samples.push(...read.samples);
    inventory = {
      manifest: request.inventory,
      format: manifest.fileFormat,
      files: manifest.files.length,
      rows: read.rows,
    };
  } else {
    ({ listedKeys, versioned } = await tallyListing(scope, tally));
  }
  return summarise({ request, policy, tally, samples, inventory, listedKeys, versioned });
}

export type Plan = Awaited<ReturnType<typeof planRun>>;
