import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { ITEM_STORAGE_OVERHEAD_BYTES, itemBytes } from '../../../../bench/item-size.js';
import {
  CHUNK_OBJECTS,
  CLOSE_CHECK_READ_UNITS,
  lambdaGbSecondsPerObject,
  STORAGE_BYTES,
} from '../../../../shared/plan/chunk-model.js';
import { costOf, PRICES, storageCostPerMonth } from '../../../../shared/plan/prices.js';
import { projectDuration } from '../../../../shared/plan/projection.js';
import { byService, modelRun } from '../../../../shared/plan/request-model.js';
import { summarise } from '../../../../shared/plan/summary.js';
import { emptyTally } from '../../../../shared/plan/tally.js';

describe('costOf', () => {
  it('prices requests at the dated list prices, a chunk commit as four write units', () => {
    expect(costOf({ 's3.CopyObject': 1e6 }).s3).toBe(5);
    expect(costOf({ 's3.HeadObject': 1e6 }).s3).toBe(0.4);
    // Chunk item and run tally shard, two units each, unless the caller models the units.
    expect(costOf({ 'dynamo.TransactWriteItems': 1e6 }).dynamodb).toBe(2.5);
    expect(costOf({ 'dynamo.TransactWriteItems': 1e6 }, undefined, 8e6).dynamodb).toBe(5);
    expect(costOf({ 'dynamo.GetItem': 1e6 }).dynamodb).toBe(0.125);
    expect(costOf({ 'kms.GenerateDataKey': 1e4 }).kms).toBe(0.03);
    expect(costOf({ 'sqs.SendMessageBatch': 1e6 }).sqs).toBe(0.4);
    expect(costOf({}, { gbSeconds: 1e6, invocations: 1e6 }).lambda).toBe(13.5334);
    expect(costOf({ 's3.CopyObject': 1e6, 'kms.Decrypt': 1e4 }).total).toBe(5.03);
  });

  it('prices DynamoDB reads by read units: by the units the caller models, else one a request', () => {
    expect(costOf({ 'dynamo.Query': 1e6 }, undefined, undefined, 8e6).dynamodb).toBe(1);
    expect(costOf({ 'dynamo.BatchGetItem': 1e6 }).dynamodb).toBe(0.125);
    expect(costOf({ 'dynamo.GetItem': 1e6, 'dynamo.Query': 1e6 }).dynamodb).toBe(0.25);
    // Units given replace the request count: reads and writes priced apart.
    expect(costOf({ 'dynamo.GetItem': 1e6 }, undefined, 1e6, 2e6).dynamodb).toBe(0.625 + 0.25);
  });
});

describe('storageCostPerMonth', () => {
  it('prices billed bytes kept at $0.25 per GB-month plus $0.20 for point-in-time recovery', () => {
    expect(storageCostPerMonth(2 ** 30)).toEqual({ bytes: 2 ** 30, dynamodb: 0.25, pitr: 0.2, total: 0.45 });
    expect(storageCostPerMonth(7.75e6)).toEqual({
      bytes: 7.75e6,
      dynamodb: 0.0018,
      pitr: 0.0014,
      total: 0.0032,
    });
    expect(storageCostPerMonth(0).total).toBe(0);
  });
});

describe('the chunk model', () => {
  it('a committed chunk item stays under 1 KB (one unit to claim, two in the commit) and under its modelled bytes', () => {
    // A committed chunk item as the store leaves it (claim, then commit: owner and lease removed),
    // with long ordinary values: a run id, a log key under the default audit prefix, a key ARN,
    // three attempts' salts.
    const runId = 'run-2026-12-06T10-11-12-345Z-0123abcd';
    const chunkId = 'a'.repeat(24);
    const item = marshall({
      pk: `chunks#${runId}#07`,
      sk: chunkId,
      state: 'DONE',
      attempt: 3,
      membership: 'f'.repeat(64),
      salts: ['1'.repeat(32), '2'.repeat(32), '3'.repeat(32)],
      firstClaimedAt: '2026-12-06T10:11:12.345Z',
      logKey: `audit/runs/${runId}/chunks/${chunkId}/3.jsonl.gz`,
      logSha256: 'e'.repeat(64),
      records: 100,
      keyArns: ['arn:aws:kms:us-east-1:111122223333:key/0123abcd-4567-89ab-cdef-0123456789ab'],
      updatedAt: '2026-12-06T10:11:13.456Z',
    });
    // While claimed it also holds its owner token and lease: still one unit to claim.
    const claimed = marshall({
      owner: 'i-0123456789abcdef0:12345:0123456789abcdef',
      leaseExpiresAt: 1_796_000_000_000,
    });
    expect(itemBytes({ ...item, ...claimed })).toBeLessThan(1024);
    const bytes = itemBytes(item);
    expect(bytes).toBeLessThan(1024);
    expect(bytes + ITEM_STORAGE_OVERHEAD_BYTES).toBeLessThanOrEqual(STORAGE_BYTES.chunk);
  });

  it('the close check reads the run item and its 32 tally shards: eight read units', () => {
    expect(CLOSE_CHECK_READ_UNITS).toBe(1 + 7);
  });

  it('an object takes 1/25 of an invocation at the 1,024 MB the encrypt function is deployed with', () => {
    expect(lambdaGbSecondsPerObject(false)).toBeCloseTo(0.1176 / 25, 6);
    expect(lambdaGbSecondsPerObject(true)).toBeCloseTo(0.2664 / 25, 6);
  });
});

describe('modelRun', () => {
  const byAction = {
    compliant: { count: 10 },
    'protect:copy-in-place': { count: 1000 },
    'skip:archived': { count: 5 },
  };

  it('a listing run HEADs every object, commits a chunk per 100 and lists and records a page per 1,000 keys', () => {
    const run = modelRun({
      source: 'listing',
      mode: 'sse-kms',
      byAction,
      listedKeys: 1015,
      inventoryFiles: 0,
    });
    expect(run.queued).toBe(1015);
    expect(run.chunks).toBe(11);
    expect(run.requests['s3.HeadObject']).toBe(1015);
    expect(run.requests['s3.CopyObject']).toBe(1000);
    expect(run.requests['s3.ListObjectsV2']).toBe(2);
    // A chunk log per chunk, a listing record per page.
    expect(run.requests['s3.PutObject']).toBe(11 + 2);
    // Claim and commit per chunk; the page markers' transactions; no request per object.
    expect(run.requests['dynamo.UpdateItem']).toBe(11);
    expect(run.requests['dynamo.TransactWriteItems']).toBe(11 + 2);
    expect(run.requests['dynamo.BatchGetItem']).toBeUndefined();
    expect(run.dynamoWriteUnits).toBe(11 * 5 + 2 * 8);
    expect(run.dynamoReadUnits).toBe(11 * 8);
    // One invocation per chunk, one per scan page.
    expect(run.lambdaInvocations).toBe(11 + 2);
  });

  it('leaves a chunk item per chunk and a marker per page in DynamoDB, nothing per object', () => {
    const run = modelRun({
      source: 'listing',
      mode: 'sse-kms',
      byAction,
      listedKeys: 1015,
      inventoryFiles: 0,
    });
    expect(run.dynamoStorageBytes).toBe(11 * STORAGE_BYTES.chunk + 2 * STORAGE_BYTES.page);
    const million = modelRun({
      source: 'listing',
      mode: 'sse-kms',
      byAction: { 'protect:copy-in-place': { count: 1e6 } },
      listedKeys: 1e6,
      inventoryFiles: 0,
    });
    // Issue 22's target: at most 64 bytes a object left after close.
    expect(million.dynamoStorageBytes / 1e6).toBeLessThanOrEqual(64);
  });

  it('an inventory run lists nothing, reads each data file twice (check, then scan) and HEADs every object', () => {
    const run = modelRun({
      source: 'inventory',
      mode: 'sse-kms',
      byAction,
      listedKeys: 0,
      inventoryFiles: 4,
    });
    expect(run.queued).toBe(1015);
    expect(run.requests['s3.HeadObject']).toBe(1015);
    expect(run.requests['s3.GetObject']).toBe(2 + 8);
    expect(run.requests['s3.ListObjectsV2']).toBeUndefined();
    // Chunk logs only: an inventory's data files are fixed already, no listing record.
    expect(run.requests['s3.PutObject']).toBe(11);
    expect(byService(run.requests)).toMatchObject({ s3: 1015 + 1000 + 10 + 11, kms: 0 });
  });

  it('an inventory run settles the rows the report decides in chunks of their own: no HEAD, no message', () => {
    const run = modelRun({
      source: 'inventory',
      mode: 'sse-s3',
      byAction,
      settledFromInventory: { compliant: { count: 10 }, 'skip:archived': { count: 0 } },
      listedKeys: 0,
      inventoryFiles: 4,
    });
    expect(run.queued).toBe(1005);
    expect(run.settled).toBe(10);
    expect(run.requests['s3.HeadObject']).toBe(1005);
    const settledOnly = modelRun({
      source: 'inventory',
      mode: 'sse-s3',
      byAction: { compliant: { count: 1000 } },
      settledFromInventory: { compliant: { count: 1000 } },
      listedKeys: 0,
      inventoryFiles: 1,
    });
    expect(settledOnly.queued).toBe(0);
    expect(settledOnly.chunks).toBe(10);
    expect(settledOnly.requests['s3.HeadObject'] ?? 0).toBe(0);
    expect(settledOnly.requests['sqs.SendMessageBatch']).toBe(0);
    // Per chunk: claim, log, commit. Plus the reader message's page marker and the file's completion.
    expect(settledOnly.requests['s3.PutObject']).toBe(10);
    expect(settledOnly.requests['dynamo.TransactWriteItems']).toBe(10 + 1);
    expect(settledOnly.dynamoWriteUnits).toBe(10 * 5 + 4 + 1);
    // A listing run has no report to settle from.
    expect(
      modelRun({
        source: 'listing',
        mode: 'sse-s3',
        byAction,
        settledFromInventory: { compliant: { count: 10 } },
        listedKeys: 1015,
        inventoryFiles: 0,
      }).queued,
    ).toBe(1015);
  });

  it('an envelope seal GETs the object (no HEAD), PUTs and asks KMS for a data key', () => {
    const run = modelRun({
      source: 'listing',
      mode: 'envelope',
      byAction: { 'protect:envelope': { count: 100_000 } },
      listedKeys: 100_000,
      inventoryFiles: 0,
    });
    expect(run.requests['kms.GenerateDataKey']).toBe(100_000);
    // Only the last key of each page of 1,000 has its instruction file asked about: the sibling's
    // HEAD, and a second GET of the object (its first GET's body is let go before that HEAD).
    expect(run.requests['s3.HeadObject']).toBe(100);
    expect(run.requests['s3.GetObject']).toBe(100_000 + 100);
    // The seals, the chunk logs and the listing records.
    expect(run.requests['s3.PutObject']).toBe(100_000 + 1000 + 100);
  });

  it('from an inventory every envelope seal asks about its instruction file: a HEAD and a second GET', () => {
    const run = modelRun({
      source: 'inventory',
      mode: 'envelope',
      byAction: { 'protect:envelope': { count: 100 } },
      listedKeys: 0,
      inventoryFiles: 1,
    });
    expect(run.requests['kms.GenerateDataKey']).toBe(100);
    expect(run.requests['s3.HeadObject']).toBe(100);
    expect(run.requests['s3.GetObject']).toBe(100 + 100 + 2 + 1 + 1);
    expect(run.requests['s3.PutObject']).toBe(100 + 1);
  });

  it('envelope mode reads every object with a GET; a GET S3 refuses is asked again as a HEAD', () => {
    const of = (action: string, mode: 'envelope' | 'sse-kms' = 'envelope') =>
      modelRun({
        source: 'inventory',
        mode,
        byAction: { [action]: { count: 1 } },
        listedKeys: 0,
        inventoryFiles: 0,
      }).requests;
    const reads = (r: Record<string, number>) => ({
      get: (r['s3.GetObject'] ?? 0) - 2,
      head: r['s3.HeadObject'] ?? 0,
      decrypt: r['kms.Decrypt'] ?? 0,
      put: (r['s3.PutObject'] ?? 0) - 1,
    });
    // A readable envelope: its GET, and KMS's word on its key.
    expect(reads(of('compliant'))).toEqual({ get: 1, head: 0, decrypt: 1, put: 0 });
    expect(reads(of('skip:malformed-envelope'))).toEqual({ get: 1, head: 0, decrypt: 0, put: 0 });
    expect(reads(of('skip:missing'))).toEqual({ get: 1, head: 0, decrypt: 0, put: 0 });
    // InvalidObjectState, then the HEAD that decides as before.
    expect(reads(of('skip:archived'))).toEqual({ get: 1, head: 1, decrypt: 0, put: 0 });
    // 400, then headObject's two HEADs (the second confirms SSE-C).
    expect(reads(of('skip:sse-c'))).toEqual({ get: 1, head: 2, decrypt: 0, put: 0 });
    // The decision's GET is let go; the upgrade reads the old envelope with its own GET and key.
    expect(reads(of('protect:upgrade-format'))).toEqual({ get: 2, head: 1, decrypt: 1, put: 1 });
    // A migration's HEADs name the customer key; its seal GETs with it.
    expect(reads(of('protect:sse-c-migration'))).toEqual({ get: 1, head: 3, decrypt: 0, put: 1 });
    // Other modes still HEAD.
    expect(reads(of('compliant', 'sse-kms'))).toEqual({ get: 0, head: 1, decrypt: 0, put: 0 });
  });
});

/** A plan of a million objects protected one way, from a listing or an inventory of ten data files. */
function planOfMillion(mode: 'sse-kms' | 'envelope', inventory: boolean) {
  const tally = emptyTally();
  const action = mode === 'envelope' ? 'protect:envelope' : 'protect:copy-in-place';
  tally.objects = { count: 1e6, bytes: 4e9 };
  tally.byAction[action] = { count: 1e6, bytes: 4e9 };
  return summarise({
    request: {
      bucket: 'b',
      prefix: '',
      mode,
      lambdaConcurrency: 1000,
      prefixPartitions: 1,
      sampleSize: 0,
      concurrency: 1,
      useUpdateObjectEncryption: false,
    },
    policy: { mode, keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k' },
    tally,
    samples: [],
    listedKeys: 1e6,
    inventory: inventory
      ? { manifest: 's3://i/m/manifest.json', format: 'CSV', files: 10, rows: 1e6 }
      : undefined,
  });
}

describe('the modelled price per million objects (issue 22 targets)', () => {
  const batchOperations = PRICES.batchOperationsPerJob + PRICES.batchOperationsPerMillionObjects + 5;

  it('sse-kms from a listing: $5.58, at most $5.75 and under Batch Operations ($6.25)', () => {
    const plan = planOfMillion('sse-kms', false);
    expect(plan.cost.total).toBe(5.5808);
    expect(plan.cost.total).toBeLessThanOrEqual(5.75);
    expect(plan.cost.total).toBeLessThan(batchOperations);
    // HEAD $0.40 + copy $5.00 + chunk logs $0.05 + listing records $0.005 + LIST $0.005.
    expect(plan.cost.s3).toBe(5.46);
    expect(plan.cost.dynamodb).toBeLessThan(0.05);
    expect(plan.cost.sqs).toBeLessThan(0.01);
    expect(plan.cost.lambda).toBeLessThan(0.07);
    // Per object: 0.058 write units (0.05 chunks + 0.008 page markers), 0.041 DynamoDB requests,
    // 0.024 SQS requests, 2.012 S3 requests.
    expect(plan.requests.dynamoWriteUnits / 1e6).toBeLessThanOrEqual(0.15);
    expect(plan.requests.byService.dynamo! / 1e6).toBeLessThanOrEqual(0.05);
    expect(plan.requests.byService.sqs! / 1e6).toBeLessThanOrEqual(0.06);
    expect(plan.requests.byService.s3! / 1e6).toBeLessThanOrEqual(2.05);
  });

  it('sse-kms from an inventory: $5.57 with the report, at most $5.60', () => {
    const plan = planOfMillion('sse-kms', true);
    expect(plan.cost.inventoryReport).toBe(0.0025);
    expect(plan.cost.total).toBe(5.567);
    expect(plan.cost.total).toBeLessThanOrEqual(5.6);
  });

  it('envelope from a listing: $8.72 as the code does it (decided on the GET), at most $9.00', () => {
    const plan = planOfMillion('envelope', false);
    expect(plan.cost.kms).toBe(3);
    expect(plan.cost.total).toBe(8.7185);
    expect(plan.cost.total).toBeLessThanOrEqual(9);
    // GET $0.40 (and 0.001 more per object: the last key of a page) + PUT $5.00 + tag reads, chunk
    // logs, listing records and LIST; no HEAD of the object before its GET.
    expect(plan.cost.s3).toBe(5.5184);
    expect(plan.requests.byOperation['s3.HeadObject']).toBe(1000);
    // From an inventory (rows not in key order) every sibling is asked about: its HEAD and a
    // second GET of the object: as many reads as before issue 22 (a HEAD, the sibling's, a GET),
    // so the same $9.50.
    const fromInventory = planOfMillion('envelope', true);
    expect(fromInventory.cost.total).toBe(9.5039);
    expect(fromInventory.requests.byOperation['s3.HeadObject']).toBe(1e6);
  });

  it('the DynamoDB line is costOf over the modelled units; the total sums the lines', () => {
    const plan = planOfMillion('sse-kms', false);
    const run = modelRun({
      source: 'listing',
      mode: 'sse-kms',
      byAction: { 'protect:copy-in-place': { count: 1e6 } },
      listedKeys: 1e6,
      inventoryFiles: 0,
    });
    expect(plan.requests.dynamoReadUnits).toBe((1e6 / CHUNK_OBJECTS) * CLOSE_CHECK_READ_UNITS);
    expect(plan.cost.dynamodb).toBe(
      costOf(run.requests, undefined, run.dynamoWriteUnits, run.dynamoReadUnits).dynamodb,
    );
    // The lines are rounded to four places each; the total is rounded once.
    expect(plan.cost.total).toBeCloseTo(
      plan.cost.s3 + plan.cost.kms + plan.cost.sqs + plan.cost.dynamodb + plan.cost.lambda,
      3,
    );
    expect(plan.cost.storagePerMonth).toEqual({
      bytes: 7.75e6,
      dynamodb: 0.0018,
      pitr: 0.0014,
      total: 0.0032,
    });
  });
});

describe('projectDuration', () => {
  const billion = 1e9;
  const base = {
    source: 'inventory' as const,
    mode: 'sse-kms' as const,
    requests: { 's3.HeadObject': billion, 's3.CopyObject': billion },
    queued: billion,
    chunks: billion / 100,
    listedKeys: 0,
    inventoryFiles: 1000,
    lambdaConcurrency: 1000,
  };
  const named = (p: ReturnType<typeof projectDuration>, name: string) =>
    p.components.find((c) => c.component === name)!;

  it('counts per chunk on tally shards and chunk items: neither limits a run of 10^9 objects', () => {
    const p = projectDuration({ ...base, prefixPartitions: 1000 });
    // One transactional update (2 units) per chunk on the busiest of 32 shards: 10^7 chunks, 13 min.
    expect(named(p, 'dynamodb tally shards').seconds).toBeCloseTo((1e7 * 2 * 1.25) / 32 / 1000, 3);
    // Claim (1) and commit (2) per chunk on the busiest of 8 chunk partition keys.
    expect(named(p, 'dynamodb chunk items').seconds).toBeCloseTo((1e7 * 3 * 1.25) / 8 / 1000, 3);
    expect(p.components.map((c) => c.component)).not.toContain('dynamodb wrap index (sharded)');
    expect(p.limitingComponent).toBe('lambda');
    expect(p.seconds / 3600).toBeLessThan(24);
  });

  it('without many partitions, one prefix partition limits S3 writes to 3,500/s', () => {
    const p = projectDuration({ ...base, mode: 'sse-s3', prefixPartitions: 1 });
    expect(p.limitingComponent).toBe('s3 writes');
    expect(p.seconds).toBeCloseTo(billion / 3500, 0);
  });

  it('with many partitions Lambda concurrency limits, at 25 objects in flight per function', () => {
    const run = projectDuration({ ...base, mode: 'sse-s3', prefixPartitions: 1000 });
    expect(run.limitingComponent).toBe('lambda');
    expect(run.seconds).toBeCloseTo((billion * 0.1176) / (1000 * 25), 0);
    // The run item takes only a page marker per data file; more tally shards, less time.
    expect(named(run, 'dynamodb run item').seconds).toBe(1000 / 1000);
    const more = projectDuration({ ...base, mode: 'sse-s3', prefixPartitions: 1000, tallyShards: 64 });
    expect(named(more, 'dynamodb tally shards').seconds).toBeCloseTo(
      named(run, 'dynamodb tally shards').seconds / 2,
      3,
    );
    const lambda = projectDuration({
      ...base,
      mode: 'sse-s3',
      prefixPartitions: 1000,
      queued: 1e6,
      chunks: 1e4,
      lambdaConcurrency: 1,
    });
    expect(lambda.limitingComponent).toBe('lambda');
    expect(lambda.seconds).toBeCloseTo((1e6 * 0.1176) / 25, 0);
  });

  it('a listing run adds its single enumeration chain', () => {
    const listing = {
      ...base,
      source: 'listing' as const,
      mode: 'sse-s3' as const,
      prefixPartitions: 1e5,
      requests: {},
      queued: 0,
      chunks: 0,
      listedKeys: billion,
    };
    const p = projectDuration(listing);
    expect(p.limitingComponent).toBe('enumeration (listing, one chain)');
    expect(p.seconds).toBe(1e6);
    // A bucket whose folders give the run 16 chains lists 16 times as fast.
    const chained = projectDuration({ ...listing, listingChains: 16 });
    expect(chained.limitingComponent).toBe('enumeration (listing, 16 chains)');
    expect(chained.seconds).toBe(1e6 / 16);
  });
});
