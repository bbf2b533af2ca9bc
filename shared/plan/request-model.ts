import { INVENTORY_ROWS_PER_MESSAGE } from '../jobs/inventory-file.js';
import type { ProtectionMode } from '../policy.js';
import type { RequestCounts } from './prices.js';

/** Where a run's object list comes from. */
export type InputSource = 'listing' | 'inventory';

/**
 * Jobs that share one claim transaction and one close transaction (docs/architecture.md,
 * "Batch-first storage"): on Lambda at most an SQS batch (10); the bench's worker groups averaged
 * about 8 (fifth session), which the model uses.
 */
export const JOBS_PER_GROUP = 8;

/** Inventory rows settled from the report share a transaction by twenty (close-together.ts). */
export const SETTLED_ROWS_PER_TRANSACTION = 20;

/**
 * Requests per object by what the run does with it, from the current code and the per-object
 * figures measured by SDK middleware in bench/RESULTS.md (run of 2026-11-23, fifth session):
 * sse-kms s3 2.003, dynamo 0.542 (TransactWriteItems 0.183: a group's claims and its close, about
 * eleven jobs a group; BatchGetItem 0.089: the group's chain anchors; GetItem 0.13 and Query
 * 0.126: the batch's closing check); envelope s3 4.146, kms 1, dynamo 0.778. Groups are modelled at
 * JOBS_PER_GROUP, below the bench's (Lambda groups are at most a batch of ten). The split of
 * envelope's S3 requests (object and instruction-file HEAD, GET, PUT, tags when the object has
 * some) is read from the code.
 */
const LEDGER_AND_AUDIT = {
  'dynamo.TransactWriteItems': 2 / JOBS_PER_GROUP,
  'dynamo.BatchGetItem': 1 / JOBS_PER_GROUP,
  'dynamo.GetItem': 0.13,
  'dynamo.Query': 0.126,
};

/**
 * DynamoDB write units per object (table and index writes, transactions at two units per item),
 * as the bench measures them for a protected object (10.4: table 8.4 — claim, record, chain
 * anchor and finish at two each, and the group's shares of one tally-shard and one key-summary
 * update — and indexes 2: the record's run index entry and the finish's wrap index entry); a
 * decision: the ledger decision, record and anchor at two each, the group's tally share, the run
 * index entry (7.3); a row settled from an inventory: record and anchor at two each, its run index
 * entry, and a twentieth of a tally-shard update (5.1).
 */
const WRITE_UNITS = { protect: 10.4, decision: 7.3, settled: 5.1, page: 8, chunk: 4 } as const;

/**
 * DynamoDB read units per object, by AWS's rule for strongly consistent reads of items under 4 KB
 * (Developer Guide, "Read capacity units"): one per GetItem, one per key of a BatchGetItem (each
 * key is read as a GetItem), one per Query that returns under 4 KB. A protected object: the
 * requests the bench measured (2026-12-06: GetItem 0.17, Query 0.166, BatchGetItem 0.09 of about
 * eleven chain anchors each, one per object) come to 1.34. DynamoDB Local reported 0.335: it charges
 * nothing for a batch key it does not find (a new object's anchor), which AWS may; the model keeps
 * the higher figure. A decision reads its ledger item or its anchor (one unit); a settled row its
 * anchor, twenty to a BatchGetItem (one unit).
 */
export const READ_UNITS = { protect: 1.34, decision: 1, settled: 1 } as const;

/**
 * Billed bytes of DynamoDB items a run leaves per object for good (nothing expires them): the
 * item-size rule plus 100 bytes per item and per index entry, DynamoDB's storage rule ("DynamoDB
 * item sizes and formats"). Measured by the bench over the tables a 5,000-object sse-kms backfill
 * left once its run closed (bench/dynamo-footprint.ts, 2026-12-06): 2,686 per protected object —
 * the audit record 642 and its byRun index copy 642 (ALL projected), the ledger's `encrypt` item
 * 574, the chain anchor 140, the wrap index entry 187, 100 for each of those five, and the run's
 * own items shared out. The items carry the bucket, key and key ARN, so longer names leave more.
 * A decision leaves the same without the wrap index entry and its two attributes on the ledger
 * item (estimated 2,280); a row settled from an inventory only the audit record, its index copy
 * and the anchor (1,724).
 */
export const STORAGE_BYTES = { protect: 2686, decision: 2280, settled: 1724 } as const;
const PER_ACTION: Record<string, RequestCounts> = {
  // A decision without a write: HEAD, ledger read (compliant only), the group's close transaction
  // (decision and record together), the anchor read when the chain is not known to be new.
  compliant: {
    's3.HeadObject': 1,
    'dynamo.GetItem': 1,
    'dynamo.TransactWriteItems': 1 / JOBS_PER_GROUP,
  },
  skip: {
    's3.HeadObject': 1,
    'dynamo.TransactWriteItems': 1 / JOBS_PER_GROUP,
    'dynamo.BatchGetItem': 1 / JOBS_PER_GROUP,
  },
  'protect:copy-in-place': { 's3.HeadObject': 1, 's3.CopyObject': 1, ...LEDGER_AND_AUDIT },
  'protect:update-encryption': { 's3.HeadObject': 1, 's3.UpdateObjectEncryption': 1, ...LEDGER_AND_AUDIT },
  'protect:envelope': {
    's3.HeadObject': 2,
    's3.GetObject': 1,
    's3.PutObject': 1,
    's3.GetObjectTagging': 0.144,
    'kms.GenerateDataKey': 1,
    ...LEDGER_AND_AUDIT,
  },
};
PER_ACTION['protect:upgrade-format'] = PER_ACTION['protect:envelope']!;
PER_ACTION['protect:sse-c-migration'] = PER_ACTION['protect:copy-in-place']!;
// A re-key is the same conditional copy, onto the policy key (docs/architecture.md, "Compliance").
PER_ACTION['protect:rekey'] = PER_ACTION['protect:copy-in-place']!;
// The run's HEAD decides; modelled at its dearer outcome, a copy.
PER_ACTION['head-decides'] = PER_ACTION['protect:copy-in-place']!;

// A row `encrypt --inventory` settles from the report alone: no S3 request, no message, only its
// audit append, twenty rows to a transaction and to an anchor read (docs/large-buckets.md).
const SETTLED_FROM_INVENTORY = {
  'dynamo.BatchGetItem': 1 / SETTLED_ROWS_PER_TRANSACTION,
  'dynamo.TransactWriteItems': 1 / SETTLED_ROWS_PER_TRANSACTION,
};

// Each object that reaches the encrypt queue: one tenth of a SendMessageBatch, and on Lambda the
// event source mapping's ReceiveMessage and DeleteMessageBatch for batches of ten.
const QUEUED = { 'sqs.SendMessageBatch': 0.1, 'sqs.ReceiveMessage': 0.1, 'sqs.DeleteMessageBatch': 0.1 };

/** Seconds of Lambda time per object: the bench's p50 (512 MB, ten objects in flight per invocation). */
export const LAMBDA_SECONDS_PER_OBJECT = { envelope: 0.2664, other: 0.1176 } as const;
export const LAMBDA_MEMORY_GB = 0.5;
export const OBJECTS_PER_INVOCATION = 10;

export function requestsForAction(action: string): RequestCounts {
  return PER_ACTION[action] ?? PER_ACTION[action.startsWith('skip:') ? 'skip' : 'protect:copy-in-place']!;
}

export interface RunRequests {
  requests: RequestCounts;
  /** DynamoDB write units the run would consume (see {@link WRITE_UNITS}). */
  dynamoWriteUnits: number;
  /** DynamoDB read units the run would consume (see {@link READ_UNITS}). */
  dynamoReadUnits: number;
  /** Billed bytes of DynamoDB items the run would leave behind (see {@link STORAGE_BYTES}). */
  dynamoStorageBytes: number;
  /** Objects that reach the encrypt queue (and a Lambda invocation). */
  queued: number;
  /** Inventory rows settled from the report: an audit append each, no job. */
  settled: number;
  lambdaGbSeconds: number;
  lambdaInvocations: number;
}

/**
 * The requests a run would make: per object by action, plus enumeration (listing: one LIST, one
 * scan message and one page transaction per 1,000 keys; inventory: per data file, as
 * `encrypt --inventory` does it).
 */
export function modelRun(input: {
  source: InputSource;
  mode: ProtectionMode;
  byAction: Record<string, { count: number }>;
  /** Inventory runs: the part of `byAction` settled from the rows alone (no job, no S3 request). */
  settledFromInventory?: Record<string, { count: number }>;
  /** Keys the listing returns, or rows the inventory holds. */
  listedKeys: number;
  inventoryFiles: number;
}): RunRequests {
  const requests: RequestCounts = {};
  const add = (mix: RequestCounts, times: number) => {
    for (const [op, n] of Object.entries(mix)) requests[op] = (requests[op] ?? 0) + n * times;
  };
  let queued = 0;
  let settledRows = 0;
  let writeUnits = 0;
  let readUnits = 0;
  let storageBytes = 0;
  // A listing run sends every current object to the encrypt handler, which HEADs it. An inventory
  // run settles the rows the report alone decides (compliant under sse-s3, SSE-C without a key)
  // with an audit append each, and sends the rest: an inventory shows no user metadata (a NOT-SSE
  // row may be a client-side envelope, which only a HEAD shows), nor an SSE-KMS row's key.
  for (const [action, { count }] of Object.entries(input.byAction)) {
    const settled =
      input.source === 'inventory' ? Math.min(count, input.settledFromInventory?.[action]?.count ?? 0) : 0;
    add(SETTLED_FROM_INVENTORY, settled);
    settledRows += settled;
    const kind = action.startsWith('protect:') || action === 'head-decides' ? 'protect' : 'decision';
    writeUnits += settled * WRITE_UNITS.settled + (count - settled) * WRITE_UNITS[kind];
    readUnits += settled * READ_UNITS.settled + (count - settled) * READ_UNITS[kind];
    storageBytes += settled * STORAGE_BYTES.settled + (count - settled) * STORAGE_BYTES[kind];
    queued += count - settled;
    add(requestsForAction(action), count - settled);
    add(QUEUED, count - settled);
  }
  if (input.source === 'listing') {
    const pages = Math.ceil(input.listedKeys / 1000);
    add(
      {
        's3.ListObjectsV2': 1,
        'sqs.SendMessage': 1,
        'sqs.ReceiveMessage': 1,
        'dynamo.TransactWriteItems': 1,
      },
      pages,
    );
    writeUnits += pages * WRITE_UNITS.page;
  } else {
    // The manifest and its checksum; each data file read once for the MD5 check before the run
    // starts, then once per chunk message (INVENTORY_ROWS_PER_MESSAGE rows each); each chunk's
    // message received and its page recorded, each file's completion checked.
    const chunks = Math.max(input.inventoryFiles, Math.ceil(input.listedKeys / INVENTORY_ROWS_PER_MESSAGE));
    add({ 's3.GetObject': 2 + input.inventoryFiles, 'sqs.SendMessageBatch': input.inventoryFiles / 10 }, 1);
    add(
      { 's3.GetObject': 1, 'sqs.SendMessage': 1, 'sqs.ReceiveMessage': 1, 'dynamo.TransactWriteItems': 1 },
      chunks,
    );
    add({ 'dynamo.UpdateItem': 1 }, input.inventoryFiles);
    writeUnits += chunks * WRITE_UNITS.chunk + input.inventoryFiles;
  }
  const seconds =
    input.mode === 'envelope' ? LAMBDA_SECONDS_PER_OBJECT.envelope : LAMBDA_SECONDS_PER_OBJECT.other;
  const rounded = Object.fromEntries(Object.entries(requests).map(([op, n]) => [op, Math.round(n)]));
  return {
    requests: rounded,
    dynamoWriteUnits: Math.round(writeUnits),
    dynamoReadUnits: Math.round(readUnits),
    dynamoStorageBytes: Math.round(storageBytes),
    queued,
    settled: settledRows,
    lambdaGbSeconds: queued * seconds * LAMBDA_MEMORY_GB,
    lambdaInvocations: Math.ceil(queued / OBJECTS_PER_INVOCATION),
  };
}

/** Requests summed by service: `s3`, `kms`, `dynamo`, `sqs`. */
export function byService(requests: RequestCounts): Record<string, number> {
  const out: Record<string, number> = { s3: 0, kms: 0, dynamo: 0, sqs: 0 };
  for (const [op, n] of Object.entries(requests)) {
    const service = op.split('.')[0]!;
    out[service] = (out[service] ?? 0) + n;
  }
  return out;
}
