/**
 * The one price table s3-seal models costs with (`plan`, and the bench's cost model): AWS list prices
 * for us-east-1 in USD, free tiers ignored. Where each number comes from:
 *
 * - S3: aws.amazon.com/s3/pricing, "Requests & data retrievals", S3 Standard: PUT, COPY, POST, LIST
 *   $0.005 per 1,000 (UpdateObjectEncryption billed as such here, an assumption); GET, HEAD and
 *   other reads $0.0004 per 1,000. "Management & insights": S3 Inventory $0.0025 per million
 *   objects listed. "S3 Batch Operations": $0.25 per job plus $1.00 per million objects.
 * - KMS: aws.amazon.com/kms/pricing: $0.03 per 10,000 requests.
 * - SQS: aws.amazon.com/sqs/pricing: standard queues $0.40 per million requests (64 KB chunks).
 * - DynamoDB: aws.amazon.com/dynamodb/pricing/on-demand (after the November 2024 reduction):
 *   $0.625 per million write request units, $0.125 per million read request units. "Data storage"
 *   (Standard table class): $0.25 per GB-month; "Continuous backups (PITR)": $0.20 per GB-month,
 *   which serverless.yml turns on for both tables. A GB here is 2^30 bytes of billed size: items
 *   and index entries by the item-size rule plus 100 bytes each ("DynamoDB item sizes and formats").
 * - Lambda: aws.amazon.com/lambda/pricing, Arm: $0.0000133334 per GB-second, $0.20 per million
 *   requests.
 *
 * Re-read the pages and move PRICES_AS_OF before quoting a figure.
 */
export const PRICES_AS_OF = '2025-07';

export const PRICES = {
  asOf: PRICES_AS_OF,
  s3PutCopyListPer1k: 0.005,
  s3GetHeadPer1k: 0.0004,
  s3InventoryPerMillionObjects: 0.0025,
  kmsPer10k: 0.03,
  sqsPerMillion: 0.4,
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
  dynamoStorageGbMonth: 0.25,
  dynamoPitrGbMonth: 0.2,
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  batchOperationsPerJob: 0.25,
  batchOperationsPerMillionObjects: 1.0,
} as const;

/** Requests by `service.Operation` (e.g. `s3.CopyObject`), as the bench's SDK middleware counts them. */
export type RequestCounts = Record<string, number>;

const S3_WRITE_CLASS =
  /^s3\.(PutObject|CopyObject|CreateMultipartUpload|UploadPart|UploadPartCopy|CompleteMultipartUpload|ListObjectsV2|ListObjectVersions|PutObjectTagging|UpdateObjectEncryption)$/;
const S3_READ_CLASS = /^s3\.(GetObject|HeadObject|GetObjectTagging)$/;
const DYNAMO_WRITE = /^dynamo\.(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
const DYNAMO_READ = /^dynamo\.(GetItem|Query|BatchGetItem)$/;

export interface CostByService {
  s3: number;
  kms: number;
  sqs: number;
  dynamodb: number;
  lambda: number;
  total: number;
}

/**
 * USD for `requests` (whole counts, not per object). DynamoDB writes: `writeUnits` when the caller
 * models them (transactional billing: `shared/plan/chunk-model.ts`, or the bench's measured units);
 * else one unit per plain write and four per TransactWriteItems (a chunk commit: the chunk item and
 * the run's tally shard, two units each). DynamoDB reads:
 * `readUnits` when the caller models them (a BatchGetItem reads one unit per item); else one unit
 * per GetItem, Query and BatchGetItem request (items under 4 KB, strongly consistent: a floor for
 * a batch). `lambda` adds Lambda compute when given.
 */
export function costOf(
  requests: RequestCounts,
  lambda: { gbSeconds: number; invocations: number } = { gbSeconds: 0, invocations: 0 },
  writeUnits?: number,
  readUnits?: number,
): CostByService {
  const sum = (pattern: RegExp) =>
    Object.entries(requests).reduce((total, [op, n]) => (pattern.test(op) ? total + n : total), 0);
  const s3 =
    (sum(S3_WRITE_CLASS) * PRICES.s3PutCopyListPer1k) / 1000 +
    (sum(S3_READ_CLASS) * PRICES.s3GetHeadPer1k) / 1000;
  const kms = (sum(/^kms\./) * PRICES.kmsPer10k) / 10_000;
  const sqs = (sum(/^sqs\./) * PRICES.sqsPerMillion) / 1e6;
  const units = writeUnits ?? sum(DYNAMO_WRITE) + 4 * sum(/^dynamo\.TransactWriteItems$/);
  const reads = readUnits ?? sum(DYNAMO_READ);
  const dynamodb = (units * PRICES.dynamoWritePerMillion) / 1e6 + (reads * PRICES.dynamoReadPerMillion) / 1e6;
  const compute =
    lambda.gbSeconds * PRICES.lambdaArmGbSecond + (lambda.invocations * PRICES.lambdaRequestPerMillion) / 1e6;
  const round = (n: number) => +n.toFixed(4);
  return {
    s3: round(s3),
    kms: round(kms),
    sqs: round(sqs),
    dynamodb: round(dynamodb),
    lambda: round(compute),
    total: round(s3 + kms + sqs + dynamodb + compute),
  };
}

export interface StorageCost {
  /** Billed bytes kept (items and index entries with their 100-byte overhead). */
  bytes: number;
  /** USD per month: DynamoDB storage, its point-in-time recovery, and both. */
  dynamodb: number;
  pitr: number;
  total: number;
}

const GB = 2 ** 30;

/**
 * What keeping `billedBytes` in DynamoDB costs every month, as long as it is kept: table storage
 * plus continuous backups (PITR), both on in serverless.yml. A recurring cost, never added to a
 * run's one-off {@link costOf} total.
 */
export function storageCostPerMonth(billedBytes: number): StorageCost {
  const dynamodb = (billedBytes / GB) * PRICES.dynamoStorageGbMonth;
  const pitr = (billedBytes / GB) * PRICES.dynamoPitrGbMonth;
  const round = (n: number) => +n.toFixed(4);
  return { bytes: billedBytes, dynamodb: round(dynamodb), pitr: round(pitr), total: round(dynamodb + pitr) };
}
