import { describe, expect, it } from 'vitest';
import { costPerMillion } from '../../../bench/cost-model.js';
import { costOf } from '../../../shared/plan/prices.js';

describe('the bench cost model', () => {
  const perObject = {
    's3.HeadObject': 1,
    's3.CopyObject': 1,
    'dynamo.TransactWriteItems': 0.25,
    'dynamo.wcu.table': 8,
    'dynamo.wcu.index': 2,
    'dynamo.rcu': 2,
  };

  it('scales measured requests and units to a million objects through costOf, storage per month apart', () => {
    expect(costPerMillion(perObject, 0.1, { billedBytesPerObject: 2686 })).toEqual({
      s3: 5.4,
      kms: 0,
      sqs: 0,
      // Ten write units at $0.625 a million, two read units at $0.125.
      dynamodb: 6.5,
      // 10^6 × 0.1 s × 0.5 GB at $0.0000133334, and 10^5 invocations at $0.20 a million.
      lambda: 0.69,
      total: 12.59,
      dynamodbStoragePerMonth: 1.13,
    });
  });

  it('has no formula of its own: the same figures as costOf over the scaled counts', () => {
    const direct = costOf(
      { 's3.HeadObject': 1e6, 's3.CopyObject': 1e6, 'dynamo.TransactWriteItems': 2.5e5 },
      undefined,
      1e7,
      2e6,
    );
    const scaled = costPerMillion(perObject);
    expect(scaled.dynamodb).toBe(direct.dynamodb);
    expect(scaled.s3).toBe(direct.s3);
    expect(scaled).not.toHaveProperty('dynamodbStoragePerMonth');
  });
});
