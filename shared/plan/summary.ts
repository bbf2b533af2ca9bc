import type { InventoryFormat } from '../inventory/manifest.js';
import type { ProtectionPolicy } from '../policy.js';
import type { SampleResult } from './inventory-source.js';
import type { PlanRequest } from './plan-request.js';
import { costOf, PRICES, PRICES_AS_OF, storageCostPerMonth } from './prices.js';
import { projectDuration } from './projection.js';
import { byService, modelRun } from './request-model.js';
import type { PlanTally } from './tally.js';

export interface InventorySummary {
  manifest: string;
  format: InventoryFormat;
  files: number;
  rows: number;
}

/** The plan as `--json` prints it: counts, modelled requests and cost, projected duration, notes. */
export function summarise(input: {
  request: PlanRequest;
  policy: ProtectionPolicy;
  tally: PlanTally;
  samples: SampleResult[];
  inventory?: InventorySummary;
  listedKeys: number;
  versioned?: boolean;
}) {
  const { request, policy, tally, inventory } = input;
  const source = inventory ? 'inventory' : 'listing';
  const run = modelRun({
    source,
    mode: policy.mode,
    byAction: tally.byAction,
    settledFromInventory: tally.settledFromInventory,
    listedKeys: inventory ? inventory.rows : input.listedKeys,
    inventoryFiles: inventory?.files ?? 0,
  });
  const cost = costOf(
    run.requests,
    { gbSeconds: run.lambdaGbSeconds, invocations: run.lambdaInvocations },
    run.dynamoWriteUnits,
    run.dynamoReadUnits,
  );
  // What the run leaves in DynamoDB costs this much every month it is kept: apart from the total.
  const storage = storageCostPerMonth(run.dynamoStorageBytes);
  // S3 Inventory bills per object listed in the report, whatever the run does with the rows.
  const inventoryReport = inventory
    ? +((inventory.rows * PRICES.s3InventoryPerMillionObjects) / 1e6).toFixed(4)
    : 0;
  const projection = projectDuration({
    source,
    mode: policy.mode,
    requests: run.requests,
    queued: run.queued,
    chunks: run.chunks,
    listedKeys: inventory ? inventory.rows : input.listedKeys,
    inventoryFiles: inventory?.files ?? 0,
    lambdaConcurrency: request.lambdaConcurrency,
    prefixPartitions: request.prefixPartitions,
  });
  const notes: string[] = [];
  if (inventory) {
    notes.push(
      'An inventory shows no user metadata, so NOT-SSE rows may include client-side envelopes: a run HEADs every object it would write; the HEAD sample above estimates how many are envelopes.',
      'Inventory rows are as of the report: objects written since are not counted.',
      '`encrypt --inventory` reads the report instead of listing (one scan message per data file, read in parallel); rows the report alone decides (compliant under sse-s3, SSE-C) are settled in chunks with a chunk log line each and no HEAD (settledFromInventory), every other current object goes to the encrypt handler in a chunk, which HEADs it and records its decision.',
    );
  }
  const otherKeys = Object.values(tally.otherKmsKeys);
  if (otherKeys.some((k) => k.action === 'rekey')) {
    notes.push(
      'Objects under other KMS keys (listed by key) would be re-keyed onto the policy key: an application that can decrypt only with its own key loses access to them. --other-kms-keys leave keeps them where they are.',
    );
  }
  if (tally.plaintextVersions.count > 0) {
    notes.push(
      `${tally.plaintextVersions.count} noncurrent versions stay plaintext: a run protects current versions and never deletes old ones.`,
    );
  }
  if (tally.headFailures.count > 0) {
    notes.push(
      `${tally.headFailures.count} HEADs failed and are counted nowhere else (first: ${tally.headFailures.example}).`,
    );
  }
  return {
    bucket: request.bucket,
    prefix: request.prefix,
    source,
    mode: policy.mode,
    keyArn: policy.keyArn,
    inventory,
    versioned: input.versioned,
    objects: tally.objects,
    byState: tally.byState,
    byStorageClass: tally.byStorageClass,
    byAction: tally.byAction,
    ...(inventory ? { settledFromInventory: tally.settledFromInventory } : {}),
    deleteMarkers: tally.deleteMarkers,
    noncurrentVersions: tally.noncurrentVersions,
    plaintextVersions: tally.plaintextVersions,
    headFailures: tally.headFailures,
    otherKmsKeys: tally.otherKmsKeys,
    samples: input.samples,
    requests: {
      byService: byService(run.requests),
      byOperation: run.requests,
      queuedObjects: run.queued,
      ...(inventory ? { settledObjects: run.settled } : {}),
      /** DynamoDB write units: per chunk a claim (1) and a commit (chunk item and tally shard, 2 each). */
      dynamoWriteUnits: run.dynamoWriteUnits,
      /** DynamoDB read units (strongly consistent, one per item under 4 KB). */
      dynamoReadUnits: run.dynamoReadUnits,
    },
    cost: {
      currency: 'USD',
      pricesAsOf: PRICES_AS_OF,
      region: 'us-east-1',
      ...cost,
      inventoryReport,
      total: +(cost.total + inventoryReport).toFixed(4),
      /** Recurring, not in `total`: DynamoDB storage and PITR of the chunk items the run leaves behind. */
      storagePerMonth: storage,
    },
    projection,
    notes,
  };
}
