import { CHUNK_SHARDS } from '../chunks/chunk-item-key.js';
import type { ProtectionMode } from '../policy.js';
import { DEFAULT_TALLY_SHARDS } from '../runs/tally-shards.js';
import { CHUNK_WRITE_UNITS, LAMBDA_SECONDS_PER_OBJECT, OBJECTS_IN_FLIGHT } from './chunk-model.js';
import type { RequestCounts } from './prices.js';
import type { InputSource } from './request-model.js';

/**
 * Partition keys a run's chunk items spread over (`chunks#<runId>#<NN>`, docs/architecture.md,
 * "Chunk ledger"); the chunk id picks one, so the busiest takes about 1.25 of its share.
 */
export const CHUNK_ITEM_PARTITIONS = CHUNK_SHARDS;
const BUSIEST = 1.25;

/**
 * Published limits a run runs into (AWS documentation, as named per field). The S3 figures are per
 * prefix partition: S3 adds partitions under sustained load, so more distinct prefixes (or time)
 * raise them; the plan assumes the partitions the key space has today.
 */
export const LIMITS = {
  /** S3 User Guide, "Best practices design patterns: optimizing Amazon S3 performance". */
  s3WritesPerSecondPerPartition: 3500,
  s3ReadsPerSecondPerPartition: 5500,
  /** AWS KMS Developer Guide, "Request quotas": shared symmetric cryptographic operations, us-east-1. */
  kmsRequestsPerSecond: 50_000,
  /** DynamoDB Developer Guide, "Partitions and data distribution": per partition key value. */
  dynamoWritesPerSecondPerPartition: 1000,
  /** Issue 15's estimate for one chain of ListObjectsV2 pages ("about 1–2 k objects/s at best"). */
  listingObjectsPerSecondPerChain: 1000,
} as const;

export interface ComponentLoad {
  component: string;
  /** Requests (or objects) the component must take. */
  load: number;
  perSecond: number;
  seconds: number;
  basis: string;
}

export interface Projection {
  lambdaConcurrency: number;
  seconds: number;
  limitingComponent: string;
  components: ComponentLoad[];
}

const sumOf = (requests: RequestCounts, pattern: RegExp) =>
  Object.entries(requests).reduce((total, [op, n]) => (pattern.test(op) ? total + n : total), 0);

/**
 * How long a run would take: each component's load over its capacity; the slowest names the
 * limit. Lambda capacity is the concurrency times OBJECTS_IN_FLIGHT objects per invocation at the
 * bench's per-object p50 (bench/RESULTS.md); the other capacities are the published limits above.
 */
export function projectDuration(input: {
  source: InputSource;
  mode: ProtectionMode;
  requests: RequestCounts;
  queued: number;
  /** Chunks the run commits (queued and settled): each one claim and one commit. */
  chunks: number;
  /** Keys the listing returns, or rows the inventory holds. */
  listedKeys: number;
  inventoryFiles: number;
  lambdaConcurrency: number;
  /** Listing runs: chains listing at once (folders the budget reaches; 1 for a flat key space). */
  listingChains?: number;
  /** The run's tally shards (S3SEAL_TALLY_SHARDS; default {@link DEFAULT_TALLY_SHARDS}). */
  tallyShards?: number;
  prefixPartitions: number;
  /**
   * Inventory runs: rows one reader turns into jobs per second (bench/projection.ts measures it).
   * Data files are read in parallel, one per function, up to the concurrency.
   */
  inventoryRowsPerSecondPerFile?: number;
}): Projection {
  const perObject =
    input.mode === 'envelope' ? LAMBDA_SECONDS_PER_OBJECT.envelope : LAMBDA_SECONDS_PER_OBJECT.other;
  const partitions = Math.max(1, input.prefixPartitions);
  const component = (name: string, load: number, perSecond: number, basis: string): ComponentLoad => ({
    component: name,
    load: Math.round(load),
    perSecond: Math.round(perSecond),
    seconds: perSecond > 0 ? load / perSecond : 0,
    basis,
  });
  const shards = Math.max(1, input.tallyShards ?? DEFAULT_TALLY_SHARDS);
  const components = [
    component(
      'lambda',
      input.queued,
      (input.lambdaConcurrency * OBJECTS_IN_FLIGHT) / perObject,
      `${input.lambdaConcurrency} functions x ${OBJECTS_IN_FLIGHT} objects in flight at ${perObject}s each (bench p50)`,
    ),
    component(
      's3 writes',
      sumOf(input.requests, /^s3\.(PutObject|CopyObject|UpdateObjectEncryption|UploadPart|UploadPartCopy)$/),
      LIMITS.s3WritesPerSecondPerPartition * partitions,
      `${LIMITS.s3WritesPerSecondPerPartition}/s per prefix partition x ${partitions}`,
    ),
    component(
      's3 reads',
      sumOf(input.requests, /^s3\.(HeadObject|GetObject|GetObjectTagging)$/),
      LIMITS.s3ReadsPerSecondPerPartition * partitions,
      `${LIMITS.s3ReadsPerSecondPerPartition}/s per prefix partition x ${partitions}`,
    ),
    component(
      'kms',
      sumOf(input.requests, /^kms\./),
      LIMITS.kmsRequestsPerSecond,
      'shared symmetric request quota',
    ),
    component(
      'dynamodb run item',
      input.source === 'listing' ? Math.ceil(input.listedKeys / 1000) : input.inventoryFiles,
      LIMITS.dynamoWritesPerSecondPerPartition,
      "one partition key takes the run's page markers and page counters (one per page or data file)",
    ),
    // Outcomes are counted by each chunk's commit on one of the run's tally shards
    // (docs/architecture.md, "Counting and closing runs"): one transactional update (2 units) per
    // chunk; the processes pick shards at random, so the busiest takes about 1.25/shards.
    component(
      'dynamodb tally shards',
      (input.chunks * 2 * BUSIEST) / shards,
      LIMITS.dynamoWritesPerSecondPerPartition,
      `one transactional update (2 units) per chunk commit on one of ${shards} shards; the busiest takes about ${BUSIEST}/${shards}`,
    ),
    // Each chunk's claim (1 unit) and its commit's chunk item (2) land on the partition key its id
    // picks (docs/architecture.md, "Chunk ledger").
    component(
      'dynamodb chunk items',
      (input.chunks * (CHUNK_WRITE_UNITS.claim + 2) * BUSIEST) / CHUNK_ITEM_PARTITIONS,
      LIMITS.dynamoWritesPerSecondPerPartition,
      `claim (1 unit) and commit (2) per chunk on one of ${CHUNK_ITEM_PARTITIONS} partition keys by chunk id; the busiest takes about ${BUSIEST}/${CHUNK_ITEM_PARTITIONS}`,
    ),
  ];
  if (input.source === 'listing') {
    // Listing chains fan out by folder (docs/large-buckets.md, "Listing chains"): a flat key space
    // stays one chain whatever the budget, so one chain is the default, the worst case.
    const chains = Math.max(1, input.listingChains ?? 1);
    components.push(
      component(
        chains === 1 ? 'enumeration (listing, one chain)' : `enumeration (listing, ${chains} chains)`,
        input.listedKeys,
        LIMITS.listingObjectsPerSecondPerChain * chains,
        chains === 1
          ? 'one sequential chain of ListObjectsV2 pages (a flat key space, or --scan-chains 1)'
          : `${chains} chains of ListObjectsV2 pages in parallel (one per folder)`,
      ),
    );
  }
  if (input.source === 'inventory' && input.inventoryRowsPerSecondPerFile) {
    const readers = Math.max(1, Math.min(input.inventoryFiles, input.lambdaConcurrency));
    components.push(
      component(
        'enumeration (inventory, files in parallel)',
        input.listedKeys,
        input.inventoryRowsPerSecondPerFile * readers,
        `${readers} data files read at once, ${input.inventoryRowsPerSecondPerFile} rows/s each (measured)`,
      ),
    );
  }
  const slowest = components.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  return {
    lambdaConcurrency: input.lambdaConcurrency,
    seconds: slowest.seconds,
    limitingComponent: slowest.component,
    components,
  };
}
