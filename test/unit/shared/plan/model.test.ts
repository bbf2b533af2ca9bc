import { describe, expect, it } from 'vitest';
import { costOf, storageCostPerMonth } from '../../../../shared/plan/prices.js';
import { projectDuration } from '../../../../shared/plan/projection.js';
import { byService, modelRun } from '../../../../shared/plan/request-model.js';
import { summarise } from '../../../../shared/plan/summary.js';
import { emptyTally } from '../../../../shared/plan/tally.js';

describe('costOf', () => {
  it('prices requests at the dated list prices, the audit transaction as six write units', () => {
    expect(costOf({ 's3.CopyObject': 1e6 }).s3).toBe(5);
    expect(costOf({ 's3.HeadObject': 1e6 }).s3).toBe(0.4);
    // Record, chain anchor and run tally shard, two units each, unless the caller models the units.
    expect(costOf({ 'dynamo.TransactWriteItems': 1e6 }).dynamodb).toBe(3.75);
    expect(costOf({ 'dynamo.TransactWriteItems': 1e6 }, undefined, 8e6).dynamodb).toBe(5);
    expect(costOf({ 'dynamo.GetItem': 1e6 }).dynamodb).toBe(0.125);
    expect(costOf({ 'kms.GenerateDataKey': 1e4 }).kms).toBe(0.03);
    expect(costOf({ 'sqs.SendMessageBatch': 1e6 }).sqs).toBe(0.4);
    expect(costOf({}, { gbSeconds: 1e6, invocations: 1e6 }).lambda).toBe(13.5334);
    expect(costOf({ 's3.CopyObject': 1e6, 'kms.Decrypt': 1e4 }).total).toBe(5.03);
  });

  it('prices DynamoDB reads by read units: BatchGetItem by the units the caller models, else one a request', () => {
    // Eight keys a batch: eight units, $0.125 a million.
    expect(costOf({ 'dynamo.BatchGetItem': 1e6 }, undefined, undefined, 8e6).dynamodb).toBe(1);
    expect(costOf({ 'dynamo.BatchGetItem': 1e6 }).dynamodb).toBe(0.125);
    expect(costOf({ 'dynamo.GetItem': 1e6, 'dynamo.Query': 1e6 }).dynamodb).toBe(0.25);
    // Units given replace the request count: reads and writes priced apart.
    expect(costOf({ 'dynamo.GetItem': 1e6 }, undefined, 1e6, 2e6).dynamodb).toBe(0.625 + 0.25);
  });
});

describe('storageCostPerMonth', () => {
  it('prices billed bytes kept at $0.25 per GB-month plus $0.20 for point-in-time recovery', () => {
    expect(storageCostPerMonth(2 ** 30)).toEqual({ bytes: 2 ** 30, dynamodb: 0.25, pitr: 0.2, total: 0.45 });
    // A million protected objects at the bench's 2,686 billed bytes each: 2.5 GiB.
    expect(storageCostPerMonth(2686e6)).toEqual({
      bytes: 2686e6,
      dynamodb: 0.6254,
      pitr: 0.5003,
      total: 1.1257,
    });
    expect(storageCostPerMonth(0).total).toBe(0);
  });
});

describe('modelRun', () => {
  const byAction = {
    compliant: { count: 10 },
    'protect:copy-in-place': { count: 1000 },
    'skip:archived': { count: 5 },
  };

  it('a listing run HEADs every object and lists a page per 1,000 keys', () => {
    const run = modelRun({
      source: 'listing',
      mode: 'sse-kms',
      byAction,
      listedKeys: 1015,
      inventoryFiles: 0,
    });
    expect(run.queued).toBe(1015);
    expect(run.requests['s3.HeadObject']).toBe(1015);
    expect(run.requests['s3.CopyObject']).toBe(1000);
    expect(run.requests['s3.ListObjectsV2']).toBe(2);
    expect(run.lambdaInvocations).toBe(102);
  });

  it('models the read units and the bytes of DynamoDB items a run leaves, per object by what it does', () => {
    const run = modelRun({
      source: 'listing',
      mode: 'sse-kms',
      byAction,
      listedKeys: 1015,
      inventoryFiles: 0,
    });
    // 1.34 units and 2,686 billed bytes a protected object, 1 and 2,280 a decision.
    expect(run.dynamoReadUnits).toBe(1000 * 1.34 + 15);
    expect(run.dynamoStorageBytes).toBe(1000 * 2686 + 15 * 2280);
    const settled = modelRun({
      source: 'inventory',
      mode: 'sse-s3',
      byAction: { compliant: { count: 1000 } },
      settledFromInventory: { compliant: { count: 1000 } },
      listedKeys: 0,
      inventoryFiles: 1,
    });
    expect(settled.dynamoReadUnits).toBe(1000);
    expect(settled.dynamoStorageBytes).toBe(1000 * 1724);
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
    expect(byService(run.requests)).toMatchObject({ s3: 1015 + 1000 + 10, kms: 0 });
  });

  it('an inventory run settles the rows the report decides with an audit append each: no S3 request, no message', () => {
    const run = modelRun({
      source: 'inventory',
      mode: 'sse-s3',
      byAction,
      settledFromInventory: { compliant: { count: 10 }, 'skip:archived': { count: 0 } },
      listedKeys: 0,
      inventoryFiles: 4,
    });
    expect(run.queued).toBe(1005);
    expect(run.requests['s3.HeadObject']).toBe(1005);
    const queuedOnly = modelRun({
      source: 'inventory',
      mode: 'sse-s3',
      byAction: { 'protect:copy-in-place': { count: 1000 }, 'skip:archived': { count: 5 } },
      listedKeys: 0,
      inventoryFiles: 4,
    });
    // Settled rows share their audit transactions and anchor reads, twenty rows to each.
    const settledOnly = modelRun({
      source: 'inventory',
      mode: 'sse-s3',
      byAction: { compliant: { count: 1000 } },
      settledFromInventory: { compliant: { count: 1000 } },
      listedKeys: 0,
      inventoryFiles: 1,
    });
    expect(settledOnly.queued).toBe(0);
    expect(settledOnly.requests['s3.HeadObject'] ?? 0).toBe(0);
    expect(settledOnly.requests['dynamo.BatchGetItem']).toBe(50);
    expect(settledOnly.requests['dynamo.TransactWriteItems']).toBe(50 + 1);
    expect(settledOnly.dynamoWriteUnits).toBe(1000 * 5.1 + 4 + 1);
    expect(run.requests['sqs.SendMessageBatch']).toBe(queuedOnly.requests['sqs.SendMessageBatch']);
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

  it('an envelope protect asks KMS for a data key per object', () => {
    const run = modelRun({
      source: 'inventory',
      mode: 'envelope',
      byAction: { 'protect:envelope': { count: 100 } },
      listedKeys: 0,
      inventoryFiles: 1,
    });
    expect(run.requests['kms.GenerateDataKey']).toBe(100);
    expect(run.requests['s3.PutObject']).toBe(100);
  });
});

describe('summarise', () => {
  it('shows the read units, and the monthly storage of what the run leaves apart from its one-off total', () => {
    const tally = emptyTally();
    tally.objects = { count: 1e6, bytes: 4e9 };
    tally.byAction['protect:copy-in-place'] = { count: 1e6, bytes: 4e9 };
    const plan = summarise({
      request: {
        bucket: 'b',
        prefix: '',
        mode: 'sse-kms',
        lambdaConcurrency: 1000,
        prefixPartitions: 1,
        sampleSize: 0,
        concurrency: 1,
        useUpdateObjectEncryption: false,
      },
      policy: { mode: 'sse-kms', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k' },
      tally,
      samples: [],
      listedKeys: 1e6,
    });
    expect(plan.requests.dynamoReadUnits).toBe(1_340_000);
    expect(plan.cost.storagePerMonth).toEqual({
      bytes: 2686e6,
      dynamodb: 0.6254,
      pitr: 0.5003,
      total: 1.1257,
    });
    // The one formula: the plan's DynamoDB line is costOf's over the modelled units.
    const units = modelRun({
      source: 'listing',
      mode: 'sse-kms',
      byAction: tally.byAction,
      listedKeys: 1e6,
      inventoryFiles: 0,
    });
    expect(plan.cost.dynamodb).toBe(
      costOf(units.requests, undefined, units.dynamoWriteUnits, units.dynamoReadUnits).dynamodb,
    );
    expect(plan.cost.total).toBe(
      +(plan.cost.s3 + plan.cost.kms + plan.cost.sqs + plan.cost.dynamodb + plan.cost.lambda).toFixed(4),
    );
  });
});

describe('projectDuration', () => {
  const billion = 1e9;
  const base = {
    source: 'inventory' as const,
    mode: 'sse-kms' as const,
    requests: { 's3.HeadObject': billion, 's3.CopyObject': billion },
    queued: billion,
    listedKeys: 0,
    inventoryFiles: 1000,
    lambdaConcurrency: 1000,
  };

  it('spreads a single-key sse-kms run over the sharded wrap index: the index limits, inside 24 h', () => {
    const p = projectDuration({ ...base, keyedWrites: billion, prefixPartitions: 1000 });
    const index = p.components.find((c) => c.component === 'dynamodb wrap index (sharded)')!;
    // 1.25/64 of 10^9 wraps on the busiest partition key at 1,000 writes/s: about 5.4 h (was 277.8 h).
    expect(index.seconds).toBeCloseTo((billion * 1.25) / 64 / 1000, 0);
    expect(index.seconds / 3600).toBeLessThan(24);
    // Summaries are counted in the close transaction, one update (two units) per key per group of
    // 8 jobs on the process's summary shard: a quarter of the index's load, 1.4 h (was 10.9 h).
    const summaries = p.components.find((c) => c.component === 'dynamodb key summaries')!;
    expect(summaries.seconds).toBeCloseTo(((billion / 8) * 2 * 1.25) / 64 / 1000, 3);
    expect(summaries.seconds).toBe(index.seconds / 4);
    expect(p.limitingComponent).toBe('dynamodb wrap index (sharded)');
    expect(p.seconds).toBe(index.seconds);
    expect(p.seconds / 3600).toBeLessThan(24);
    // Tally shards take one transactional write per group of jobs (8), not per object: 2.7 h.
    const tally = p.components.find((c) => c.component === 'dynamodb tally shards')!;
    expect(tally.seconds).toBeCloseTo(((billion / 8) * 2 * 1.25) / 32 / 1000, 0);
  });

  it('without a key, one prefix partition limits S3 writes to 3,500/s', () => {
    const p = projectDuration({ ...base, mode: 'sse-s3', keyedWrites: 0, prefixPartitions: 1 });
    expect(p.limitingComponent).toBe('s3 writes');
    expect(p.seconds).toBeCloseTo(billion / 3500, 0);
  });

  it('with many partitions Lambda concurrency limits; tally shards take a write per group', () => {
    const run = projectDuration({ ...base, mode: 'sse-s3', keyedWrites: 0, prefixPartitions: 1000 });
    expect(run.limitingComponent).toBe('lambda');
    expect(run.seconds).toBeCloseTo((billion * 0.1176) / (1000 * 10), 0);
    const counters = run.components.find((c) => c.component === 'dynamodb tally shards')!;
    expect(counters.seconds).toBeCloseTo(((base.queued / 8) * 2 * 1.25) / 32 / 1000, 3);
    // The run item takes only a page marker per data file now; more shards, less time.
    expect(run.components.find((c) => c.component === 'dynamodb run item')!.seconds).toBe(1000 / 1000);
    const more = projectDuration({
      ...base,
      mode: 'sse-s3',
      keyedWrites: 0,
      prefixPartitions: 1000,
      tallyShards: 64,
    });
    const tallyOf = (p: typeof run) => p.components.find((c) => c.component === 'dynamodb tally shards')!;
    expect(tallyOf(more).seconds).toBeCloseTo(counters.seconds / 2, 3);
    // Rows settled from an inventory are tallied too, twenty to a write, though no job runs.
    const settled = projectDuration({
      ...base,
      mode: 'sse-s3',
      keyedWrites: 0,
      prefixPartitions: 1000,
      queued: billion / 2,
      settled: billion / 2,
    });
    expect(tallyOf(settled).seconds).toBeCloseTo(
      ((billion / 2 / 8 + billion / 2 / 20) * 2 * 1.25) / 32 / 1000,
      3,
    );
    expect(settled.limitingComponent).toBe('dynamodb tally shards');
    expect(settled.components.find((c) => c.component === 'lambda')!.load).toBe(billion / 2);
    const lambda = projectDuration({
      ...base,
      mode: 'sse-s3',
      keyedWrites: 0,
      prefixPartitions: 1000,
      queued: 1e6,
      lambdaConcurrency: 1,
    });
    expect(lambda.limitingComponent).toBe('lambda');
    expect(lambda.seconds).toBeCloseTo((1e6 * 0.1176) / 10, 0);
  });

  it('a listing run adds its single enumeration chain', () => {
    const p = projectDuration({
      ...base,
      source: 'listing',
      mode: 'sse-s3',
      keyedWrites: 0,
      prefixPartitions: 1e5,
      requests: {},
      queued: 0,
      listedKeys: billion,
    });
    expect(p.limitingComponent).toBe('enumeration (listing, one chain)');
    expect(p.seconds).toBe(1e6);
    // A bucket whose folders give the run 16 chains lists 16 times as fast.
    const chained = projectDuration({
      ...base,
      source: 'listing',
      mode: 'sse-s3',
      keyedWrites: 0,
      prefixPartitions: 1e5,
      requests: {},
      queued: 0,
      listedKeys: billion,
      listingChains: 16,
    });
    expect(chained.limitingComponent).toBe('enumeration (listing, 16 chains)');
    expect(chained.seconds).toBe(1e6 / 16);
  });
});
