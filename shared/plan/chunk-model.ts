import { MAX_CHUNK_INTENTS } from '../chunks/chunk-message.js';
import { DEFAULT_TALLY_SHARDS } from '../runs/tally-shards.js';
import type { RequestCounts } from './prices.js';

/**
 * What a chunk costs, whatever its objects' decisions (docs/architecture.md, "Chunks", "Chunk
 * ledger", "Audit trail in S3"). Modelled from the design, not measured: the bench measures the
 * same lines once the chunk code runs (bench/RESULTS.md).
 */
export const CHUNK_OBJECTS = MAX_CHUNK_INTENTS;

/**
 * DynamoDB write units per chunk: the claim, one conditional UpdateItem of an item under 1 KB (1),
 * and the commit, one TransactWriteItems of the chunk item and the run's tally shard (two units
 * each, transactional billing). A chunk item stays under 1 KB: it keeps the membership's SHA-256,
 * never the membership.
 */
export const CHUNK_WRITE_UNITS = { claim: 1, commit: 2 + 2 } as const;

/** Billed size of a tally shard (`shared/runs/tally-shards.ts`): 512 hex digits of MuHASH, counters, keys. */
export const TALLY_SHARD_BYTES = 800;

/**
 * Read units of the close check after each chunk (docs/architecture.md, "Counting and closing
 * runs"): a consistent GetItem of the run item (1) and a consistent Query of the run's tally
 * shards, one unit per 4 KB of the shards it returns.
 */
export const CLOSE_CHECK_READ_UNITS = 1 + Math.ceil((DEFAULT_TALLY_SHARDS * TALLY_SHARD_BYTES) / 4096);

/**
 * Requests per chunk of queued objects, on Lambda: a tenth of a SendMessageBatch (ten chunk
 * messages to a request), the event source's ReceiveMessage and DeleteMessageBatch for the one
 * message, the claim, the chunk log PUT (`If-None-Match: *`), the commit, and the close check.
 */
export const PER_QUEUED_CHUNK: RequestCounts = {
  'sqs.SendMessageBatch': 0.1,
  'sqs.ReceiveMessage': 1,
  'sqs.DeleteMessageBatch': 1,
  'dynamo.UpdateItem': 1,
  's3.PutObject': 1,
  'dynamo.TransactWriteItems': 1,
  'dynamo.GetItem': 1,
  'dynamo.Query': 1,
};

/**
 * Requests per chunk of inventory rows settled from the report alone (`commitDecidedChunk`, in the
 * inventory reader): claim, chunk log, commit; no message, no HEAD. The reader's close check is
 * its message's, counted per reader message.
 */
export const PER_SETTLED_CHUNK: RequestCounts = {
  'dynamo.UpdateItem': 1,
  's3.PutObject': 1,
  'dynamo.TransactWriteItems': 1,
};

/**
 * Billed bytes DynamoDB keeps after a run closes (the item-size rule plus 100 bytes an item,
 * "DynamoDB item sizes and formats"): per chunk its committed item (key, state, owner, lease,
 * attempt, membership digest, salts, first claim, log key and SHA-256, record count, key ARNs:
 * about 650 bytes, test/unit/shared/plan/model.test.ts measures one), per listing page its marker.
 * No item is kept per object. Live enforcement's one-event chunk items expire after a day (TTL).
 */
export const STORAGE_BYTES = { chunk: 750, page: 250 } as const;

/**
 * Lambda: the encrypt function's memory (serverless.yml, `functions.encrypt.memorySize`), one
 * chunk per invocation, about OBJECTS_IN_FLIGHT of its objects at once, so an object occupies
 * 1/OBJECTS_IN_FLIGHT of the invocation for its own latency. Latency per object: the bench's p50
 * (bench/RESULTS.md: ten in flight, 512 MB).
 */
export const LAMBDA_MEMORY_GB = 1;
export const OBJECTS_IN_FLIGHT = 25;
export const LAMBDA_SECONDS_PER_OBJECT = { envelope: 0.2664, other: 0.1176 } as const;

/** GB-seconds of Lambda one object takes, by mode. */
export function lambdaGbSecondsPerObject(envelope: boolean): number {
  const seconds = envelope ? LAMBDA_SECONDS_PER_OBJECT.envelope : LAMBDA_SECONDS_PER_OBJECT.other;
  return (seconds / OBJECTS_IN_FLIGHT) * LAMBDA_MEMORY_GB;
}
