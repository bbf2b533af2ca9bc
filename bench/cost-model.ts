import { PRICES } from '../shared/plan/prices.js';
import type { RequestCounts } from './request-counter.js';

// The one dated price table (shared/plan/prices.ts), shared with `s3-seal plan`.
export { PRICES };

const S3_WRITE_CLASS =
  /^s3\.(PutObject|CopyObject|CreateMultipartUpload|UploadPart|UploadPartCopy|CompleteMultipartUpload|ListObjectsV2|PutObjectTagging|UpdateObjectEncryption)$/;
const S3_READ_CLASS = /^s3\.(GetObject|HeadObject|GetObjectTagging)$/;
const DYNAMO_WRITE = /^dynamo\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
const DYNAMO_READ = /^dynamo\.(GetItem|Query)$/;

/**
 * Cost per million objects from measured requests per object (by operation) and measured DynamoDB
 * write units (table and index writes, transactional billing included). Reads are under 4 KB, so
 * one read request is one read unit. Measured counts include each protected object's key-summary
 * UpdateItem (docs/architecture.md, "Wrapping-key index"). For runs recorded before write units
 * were measured, `wrapIndexWrites` adds the GSI's own write per wrapped object, which no request
 * shows. `lambdaSecondsPerObject` adds Lambda compute at 512 MB when given.
 */
export function costPerMillion(
  perObject: RequestCounts,
  lambdaSecondsPerObject?: number,
  options: { wrapIndexWrites?: number } = {},
) {
  const sum = (pattern: RegExp) =>
    Object.entries(perObject).reduce((total, [op, n]) => (pattern.test(op) ? total + n : total), 0);
  const m = 1_000_000;
  const s3 =
    (sum(S3_WRITE_CLASS) * m * PRICES.s3PutCopyListPer1k) / 1000 +
    (sum(S3_READ_CLASS) * m * PRICES.s3GetHeadPer1k) / 1000;
  const kms = (sum(/^kms\./) * m * PRICES.kmsPer10k) / 10_000;
  const sqs = (sum(/^sqs\./) * m * PRICES.sqsPerMillion) / m;
  // Write units as measured (table and indexes, transactions at two units per item: see
  // request-counter.ts); runs recorded before that was measured fall back to requests, with the
  // audit append's transaction at four units.
  const measuredUnits = perObject['dynamo.wcu.table'];
  const writeUnits =
    measuredUnits !== undefined
      ? measuredUnits + (perObject['dynamo.wcu.index'] ?? 0)
      : sum(DYNAMO_WRITE) + (options.wrapIndexWrites ?? 0) + sum(/^dynamo\.TransactWriteItems$/) * 4;
  const dynamo =
    (writeUnits * m * PRICES.dynamoWritePerMillion) / m +
    (sum(DYNAMO_READ) * m * PRICES.dynamoReadPerMillion) / m;
  const lambda =
    lambdaSecondsPerObject === undefined
      ? 0
      : m * lambdaSecondsPerObject * 0.5 * PRICES.lambdaArmGbSecond +
        (m / 10) * (PRICES.lambdaRequestPerMillion / m);
  const round = (n: number) => +n.toFixed(2);
  return {
    s3: round(s3),
    kms: round(kms),
    sqs: round(sqs),
    dynamodb: round(dynamo),
    lambda: round(lambda),
    total: round(s3 + kms + sqs + dynamo + lambda),
  };
}

/** S3 Batch Operations copying a million objects in place: its fees plus one COPY each. */
export function batchOperationsPerMillion() {
  const fees = PRICES.batchOperationsPerJob + PRICES.batchOperationsPerMillionObjects;
  const copies = (1_000_000 * PRICES.s3PutCopyListPer1k) / 1000;
  return { fees: +fees.toFixed(2), s3: +copies.toFixed(2), total: +(fees + copies).toFixed(2) };
}
