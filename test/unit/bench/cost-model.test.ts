import { describe, expect, it } from 'vitest';
import { costPerMillion } from '../../../bench/cost-model.js';
import { costOf } from '../../../shared/plan/prices.js';

describe('the bench cost model', () => {
  // An sse-kms backfill in chunks of 100: HEAD and copy per object; per chunk a log PUT, a claim
  // (1 unit), a commit (4 units) and a close check (8 read units).
  const perObject = {
    's3.HeadObject': 1,
    's3.CopyObject': 1,
    's3.PutObject': 0.01,
    'dynamo.UpdateItem': 0.01,
    'dynamo.TransactWriteItems': 0.01,
    'dynamo.wcu.table': 0.05,
    'dynamo.wcu.index': 0,
    'dynamo.rcu': 0.08,
  };

  it('scales measured requests and units to a million objects through costOf, storage per month apart', () => {
    expect(costPerMillion(perObject, 0.1, { billedBytesPerObject: 7.75 })).toEqual({
      // HEAD $0.40, copy $5.00, chunk log $0.05.
      s3: 5.45,
      kms: 0,
      sqs: 0,
      // 0.05 write units at $0.625 a million, 0.08 read units at $0.125.
      dynamodb: 0.04,
      // 10^6 × 0.1 s / 25 in flight × 1 GB at $0.0000133334, and 10^4 invocations at $0.20 a million.
      lambda: 0.06,
      total: 5.55,
      // 7.75 MB kept: $0.0018 storage and $0.0014 PITR a month.
      dynamodbStoragePerMonth: 0.0032,
    });
  });

  it('has no formula of its own: the same figures as costOf over the scaled counts', () => {
    const direct = costOf(
      {
        's3.HeadObject': 1e6,
        's3.CopyObject': 1e6,
        's3.PutObject': 1e4,
        'dynamo.UpdateItem': 1e4,
        'dynamo.TransactWriteItems': 1e4,
      },
      undefined,
      5e4,
      8e4,
    );
    const scaled = costPerMillion(perObject);
    // The bench prints cents.
    expect(scaled.dynamodb).toBe(+direct.dynamodb.toFixed(2));
    expect(scaled.s3).toBe(+direct.s3.toFixed(2));
    expect(scaled).not.toHaveProperty('dynamodbStoragePerMonth');
  });
});
