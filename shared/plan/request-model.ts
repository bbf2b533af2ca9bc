import { INVENTORY_ROWS_PER_MESSAGE } from '../jobs/inventory-file.js';
import type { ProtectionMode } from '../policy.js';
import {
  CHUNK_OBJECTS,
  CHUNK_WRITE_UNITS,
  CLOSE_CHECK_READ_UNITS,
  lambdaGbSecondsPerObject,
  PER_QUEUED_CHUNK,
  PER_SETTLED_CHUNK,
  STORAGE_BYTES,
} from './chunk-model.js';
import type { RequestCounts } from './prices.js';

/** Where a run's object list comes from. */
export type InputSource = 'listing' | 'inventory';

/** Keys a listing page returns, and a listing record holds (ListObjectsV2's most). */
export const LISTING_PAGE_KEYS = 1000;

/**
 * Requests per object by what the run does with it: the HEAD, the conditional write, and nothing
 * else (docs/architecture.md, "Chunks": no DynamoDB request per object; the chunk's requests are in
 * chunk-model.ts). Envelope mode reads with a GET instead (ENVELOPE_PER_ACTION).
 */
const PER_ACTION: Record<string, RequestCounts> = {
  compliant: { 's3.HeadObject': 1 },
  skip: { 's3.HeadObject': 1 },
  'protect:copy-in-place': { 's3.HeadObject': 1, 's3.CopyObject': 1 },
  'protect:update-encryption': { 's3.HeadObject': 1, 's3.UpdateObjectEncryption': 1 },
  'protect:envelope': {
    's3.HeadObject': 1,
    's3.GetObject': 1,
    's3.PutObject': 1,
    's3.GetObjectTagging': 0.144,
    'kms.GenerateDataKey': 1,
  },
};
PER_ACTION['protect:sse-c-migration'] = PER_ACTION['protect:copy-in-place']!;
// A re-key is the same conditional copy, onto the policy key (docs/architecture.md, "Compliance").
PER_ACTION['protect:rekey'] = PER_ACTION['protect:copy-in-place']!;
// The run's HEAD decides; modelled at its dearer outcome, a copy.
PER_ACTION['head-decides'] = PER_ACTION['protect:copy-in-place']!;

/** The tag read of a seal, when the object has tags: 0.144 per object, the bench's share. */
const TAG_READS = 0.144;

/**
 * Envelope mode (docs/architecture.md, "Deciding on the GET"): each object is read with one GET
 * whose response headers decide, and a seal encrypts that GET's body: no HEAD. A seal then PUTs,
 * reads the tags when the object has some, and asks KMS for a data key. A readable envelope is
 * compliant once KMS confirms its key (`Decrypt` naming the policy key; a plan counts every
 * readable envelope compliant). A GET S3 refuses is asked again as a HEAD: an archived object once,
 * an SSE-C object twice (headObject confirms SSE-C with a second HEAD). An upgrade lets the GET go
 * and reads the old envelope with its own GET (and its data key with a KMS Decrypt). An SSE-C
 * migration is read as before, with a HEAD and the keyed HEAD it answers 400 to, then sealed.
 */
const ENVELOPE_PER_ACTION: Record<string, RequestCounts> = {
  compliant: { 's3.GetObject': 1, 'kms.Decrypt': 1 },
  skip: { 's3.GetObject': 1 },
  'skip:archived': { 's3.GetObject': 1, 's3.HeadObject': 1 },
  'skip:sse-c': { 's3.GetObject': 1, 's3.HeadObject': 2 },
  'protect:envelope': {
    's3.GetObject': 1,
    's3.PutObject': 1,
    's3.GetObjectTagging': TAG_READS,
    'kms.GenerateDataKey': 1,
  },
  'protect:upgrade-format': {
    's3.GetObject': 2,
    's3.PutObject': 1,
    's3.GetObjectTagging': TAG_READS,
    'kms.Decrypt': 1,
    'kms.GenerateDataKey': 1,
  },
  'protect:sse-c-migration': {
    's3.HeadObject': 2,
    's3.GetObject': 1,
    's3.PutObject': 1,
    's3.GetObjectTagging': TAG_READS,
    'kms.GenerateDataKey': 1,
  },
};

/**
 * Envelope writes skip an object with an S3EC instruction file. A listing page shows each sibling
 * or proves it absent, except for its last key when more pages follow (shared/jobs/
 * instruction-siblings.ts): one HEAD per page. An inventory's rows are not in key order: one HEAD
 * per object.
 */
const SIBLING_HEADS: Record<InputSource, number> = { listing: 1 / LISTING_PAGE_KEYS, inventory: 1 };
/**
 * What asking for the sibling costs each write of envelope mode: its HEAD and, for a seal, a second
 * GET of the object, since no request goes out while a body is held (the first GET's body is let go
 * before the sibling's HEAD; the seal reads the object again If-Match the ETag decided on).
 */
const SIBLING_CHECK: Record<string, RequestCounts> = {
  'protect:envelope': { 's3.HeadObject': 1, 's3.GetObject': 1 },
  'protect:upgrade-format': { 's3.HeadObject': 1 },
  'protect:sse-c-migration': { 's3.HeadObject': 1 },
};

/**
 * Per listing page: the LIST, its listing record (one PUT, `If-None-Match: *`), the next page's
 * message (sent, received, deleted), and the page marker with the run's page counters (one
 * TransactWriteItems, 8 write units as the bench measured it).
 */
const PER_PAGE: RequestCounts = {
  's3.ListObjectsV2': 1,
  's3.PutObject': 1,
  'sqs.SendMessage': 1,
  'sqs.ReceiveMessage': 1,
  'sqs.DeleteMessageBatch': 1,
  'dynamo.TransactWriteItems': 1,
};
const PAGE_WRITE_UNITS = 8;

/**
 * Per inventory reader message (a row range of one data file, INVENTORY_ROWS_PER_MESSAGE rows): the
 * file's GET, the message (sent, received, deleted), its page marker (4 write units) and its close
 * check. An inventory's data files are fixed already: no listing record.
 */
const PER_READER_MESSAGE: RequestCounts = {
  's3.GetObject': 1,
  'sqs.SendMessage': 1,
  'sqs.ReceiveMessage': 1,
  'sqs.DeleteMessageBatch': 1,
  'dynamo.TransactWriteItems': 1,
  'dynamo.GetItem': 1,
  'dynamo.Query': 1,
};
const READER_MESSAGE_WRITE_UNITS = 4;

export function requestsForAction(action: string, mode?: ProtectionMode): RequestCounts {
  if (mode === 'envelope') {
    const skip = action.startsWith('skip:') ? 'skip' : undefined;
    const mix = ENVELOPE_PER_ACTION[action] ?? (skip && ENVELOPE_PER_ACTION[skip]);
    if (mix) return mix;
  }
  return PER_ACTION[action] ?? PER_ACTION[action.startsWith('skip:') ? 'skip' : 'protect:copy-in-place']!;
}

export interface RunRequests {
  requests: RequestCounts;
  /** DynamoDB write units: per chunk 5 (chunk-model.ts), per page marker its own. */
  dynamoWriteUnits: number;
  /** DynamoDB read units: the close check after each chunk and reader message. */
  dynamoReadUnits: number;
  /** Billed bytes of DynamoDB items the run leaves once closed: chunk items and page markers. */
  dynamoStorageBytes: number;
  /** Objects that reach the encrypt queue in chunks (and a Lambda invocation). */
  queued: number;
  /** Inventory rows settled from the report: recorded in chunks of their own, no HEAD, no message. */
  settled: number;
  /** Chunks the run commits: queued and settled. */
  chunks: number;
  lambdaGbSeconds: number;
  lambdaInvocations: number;
}

/**
 * The requests a run would make: per object by action, per chunk of CHUNK_OBJECTS (claim, log,
 * commit, message), plus enumeration (listing: per page of LISTING_PAGE_KEYS; inventory: per data
 * file and reader message, as `encrypt --inventory` does it).
 */
export function modelRun(input: {
  source: InputSource;
  mode: ProtectionMode;
  byAction: Record<string, { count: number }>;
  /** Inventory runs: the part of `byAction` settled from the rows alone (no HEAD, no message). */
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
  let settled = 0;
  // A listing run sends every current object to the encrypt handler, which reads it (a HEAD; in
  // envelope mode a GET). An inventory
  // run settles the rows the report alone decides (compliant under sse-s3, SSE-C without a key)
  // and sends the rest: an inventory shows no user metadata (a NOT-SSE row may be a client-side
  // envelope, which only a HEAD shows), nor an SSE-KMS row's key.
  for (const [action, { count }] of Object.entries(input.byAction)) {
    const fromReport =
      input.source === 'inventory' ? Math.min(count, input.settledFromInventory?.[action]?.count ?? 0) : 0;
    settled += fromReport;
    queued += count - fromReport;
    add(requestsForAction(action, input.mode), count - fromReport);
    const sibling = input.mode === 'envelope' ? SIBLING_CHECK[action] : undefined;
    if (sibling) add(sibling, (count - fromReport) * SIBLING_HEADS[input.source]);
  }
  const queuedChunks = Math.ceil(queued / CHUNK_OBJECTS);
  const settledChunks = Math.ceil(settled / CHUNK_OBJECTS);
  add(PER_QUEUED_CHUNK, queuedChunks);
  add(PER_SETTLED_CHUNK, settledChunks);
  const chunks = queuedChunks + settledChunks;
  let writeUnits = chunks * (CHUNK_WRITE_UNITS.claim + CHUNK_WRITE_UNITS.commit);
  let readUnits = queuedChunks * CLOSE_CHECK_READ_UNITS;
  let storageBytes = chunks * STORAGE_BYTES.chunk;
  let scanInvocations: number;
  if (input.source === 'listing') {
    const pages = Math.ceil(input.listedKeys / LISTING_PAGE_KEYS);
    add(PER_PAGE, pages);
    writeUnits += pages * PAGE_WRITE_UNITS;
    storageBytes += pages * STORAGE_BYTES.page;
    scanInvocations = pages;
  } else {
    // The manifest and its checksum; each data file read once for the MD5 check before the run
    // starts (its message sent ten to a batch), then once per reader message; each file's
    // completion recorded.
    const messages = Math.max(input.inventoryFiles, Math.ceil(input.listedKeys / INVENTORY_ROWS_PER_MESSAGE));
    add({ 's3.GetObject': 2 + input.inventoryFiles, 'sqs.SendMessageBatch': input.inventoryFiles / 10 }, 1);
    add(PER_READER_MESSAGE, messages);
    add({ 'dynamo.UpdateItem': 1 }, input.inventoryFiles);
    writeUnits += messages * READER_MESSAGE_WRITE_UNITS + input.inventoryFiles;
    readUnits += messages * CLOSE_CHECK_READ_UNITS;
    storageBytes += messages * STORAGE_BYTES.page;
    scanInvocations = messages;
  }
  const rounded = Object.fromEntries(Object.entries(requests).map(([op, n]) => [op, Math.round(n)]));
  return {
    requests: rounded,
    dynamoWriteUnits: Math.round(writeUnits),
    dynamoReadUnits: Math.round(readUnits),
    dynamoStorageBytes: Math.round(storageBytes),
    queued,
    settled,
    chunks,
    lambdaGbSeconds: queued * lambdaGbSecondsPerObject(input.mode === 'envelope'),
    lambdaInvocations: queuedChunks + scanInvocations,
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
