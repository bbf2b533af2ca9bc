import { CHUNK_OBJECTS, LAMBDA_MEMORY_GB, OBJECTS_IN_FLIGHT } from '../shared/plan/chunk-model.js';
import { costOf, PRICES, storageCostPerMonth } from '../shared/plan/prices.js';
import type { RequestCounts } from './request-counter.js';

// The one dated price table and the one cost formula (shared/plan/prices.ts), shared with
// `s3-seal plan`: the bench only scales its per-object measurements to a million objects.
export { PRICES };

const MILLION = 1_000_000;

/**
 * Cost per million objects from measured requests per object (by operation), measured DynamoDB
 * write units (`dynamo.wcu.table` + `dynamo.wcu.index`: table and index writes, transactional
 * billing included) and read units (`dynamo.rcu`), through {@link costOf}. Runs recorded before
 * units were measured fall back to costOf's request-based units. `lambdaSecondsPerObject` (a
 * measured per-object latency) adds Lambda compute as `plan` models it (shared/plan/chunk-model.ts):
 * the deployed memory, OBJECTS_IN_FLIGHT objects sharing an invocation's time, one chunk of
 * CHUNK_OBJECTS an invocation. `billedBytesPerObject` (DynamoDB items left after the run,
 * bench/dynamo-footprint.ts) adds the monthly storage line, kept apart from the one-off total.
 */
export function costPerMillion(
  perObject: RequestCounts,
  lambdaSecondsPerObject?: number,
  storage: { billedBytesPerObject?: number } = {},
) {
  const requests = Object.fromEntries(Object.entries(perObject).map(([op, n]) => [op, n * MILLION]));
  const measuredWrites = perObject['dynamo.wcu.table'];
  const writeUnits =
    measuredWrites === undefined
      ? undefined
      : (measuredWrites + (perObject['dynamo.wcu.index'] ?? 0)) * MILLION;
  const readUnits = perObject['dynamo.rcu'] === undefined ? undefined : perObject['dynamo.rcu'] * MILLION;
  const lambda =
    lambdaSecondsPerObject === undefined
      ? undefined
      : {
          gbSeconds: (MILLION * lambdaSecondsPerObject * LAMBDA_MEMORY_GB) / OBJECTS_IN_FLIGHT,
          invocations: MILLION / CHUNK_OBJECTS,
        };
  const cost = costOf(requests, lambda, writeUnits, readUnits);
  const round = (n: number) => +n.toFixed(2);
  const monthly =
    storage.billedBytesPerObject === undefined
      ? {}
      : // Four places: chunk items leave cents' fractions a month per million objects.
        { dynamodbStoragePerMonth: storageCostPerMonth(storage.billedBytesPerObject * MILLION).total };
  return {
    s3: round(cost.s3),
    kms: round(cost.kms),
    sqs: round(cost.sqs),
    dynamodb: round(cost.dynamodb),
    lambda: round(cost.lambda),
    total: round(cost.total),
    ...monthly,
  };
}

/** S3 Batch Operations copying a million objects in place: its fees plus one COPY each. */
export function batchOperationsPerMillion() {
  const fees = PRICES.batchOperationsPerJob + PRICES.batchOperationsPerMillionObjects;
  const copies = (1_000_000 * PRICES.s3PutCopyListPer1k) / 1000;
  return { fees: +fees.toFixed(2), s3: +copies.toFixed(2), total: +(fees + copies).toFixed(2) };
}
