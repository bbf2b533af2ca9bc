import type { CountedRecord } from '../runs/tally-shards.js';

/**
 * The ledger's only item for ordinary objects: one per chunk (docs/architecture.md, "Chunk
 * ledger"). IN_PROGRESS holds a lease; RETRY gives the chunk back after a passing failure or the
 * deadline; DONE is committed: its log and counts are final.
 */
export type ChunkState = 'IN_PROGRESS' | 'RETRY' | 'DONE';

export interface ChunkRef {
  runId: string;
  chunkId: string;
}

export interface ChunkItem extends ChunkRef {
  state: ChunkState;
  owner?: string;
  /** Epoch milliseconds after which another attempt may take the chunk over. */
  leaseExpiresAt?: number;
  /** 1 for the first claim, +1 per claim (take-overs and retries included). */
  attempt: number;
  /** SHA-256 of the intents (chunk-message.ts membershipDigest): a different membership is refused. */
  membership: string;
  /** One fresh 16-byte salt (hex) per attempt, in attempt order: the last one is this attempt's. */
  salts: string[];
  /** ISO time of the first claim: an object written after it and found protected is ours (reconciled). */
  firstClaimedAt: string;
  /** DONE: the committed attempt's log object key and the SHA-256 of its stored bytes. */
  logKey?: string;
  logSha256?: string;
  /** DONE: records in the committed log. */
  records?: number;
  /** DONE: the key ARNs the committed records leave objects under (manifests are compacted from these). */
  keyArns?: string[];
  /** DONE and sequenced: the index of the chunk log's leaf in the transparency log. */
  leafIndex?: number;
  /** Live enforcement: epoch seconds after which DynamoDB's TTL deletes the item. */
  expiresAt?: number;
  error?: string;
  updatedAt: string;
}

export interface ClaimChunkInput extends ChunkRef {
  owner: string;
  leaseSeconds: number;
  membership: string;
  /** How many objects the chunk names: what a local process holds while it works the chunk (LocalClaims); not stored. */
  objects?: number;
  /** Live enforcement's one-event chunks are kept this long, then expire (TTL). */
  ttlSeconds?: number;
}

export type ChunkClaim =
  /** `item`: the chunk as this claim left it (attempt, salts with this attempt's last, firstClaimedAt). */
  | { claimed: true; item: ChunkItem }
  /** A live lease elsewhere, or DONE: `existing` says which. */
  | { claimed: false; existing: ChunkItem };

/** What a commit adds: the attempt's log, and each record as the run's tally counts it. */
export interface ChunkCommit {
  log: { key: string; sha256: string };
  records: CountedRecord[];
  keyArns: string[];
  /** The chunk's object keys: any multipart upload state still recorded for them is removed. */
  uploadKeys?: string[];
  /**
   * Live enforcement: the item's TTL starts again at the commit, after its log was written, so the
   * item can only expire once its log is at least this old (docs/audit.md, "Expired event chunks").
   */
  ttlSeconds?: number;
}

/**
 * Chunk items behind a small interface (docs/architecture.md, "Chunk ledger"). Every transition is a
 * conditional write; methods that transition return false when the condition did not hold (another
 * attempt took the chunk over), and the caller must then do nothing more.
 */
export interface ChunkStore {
  get(ref: ChunkRef): Promise<ChunkItem | undefined>;
  /**
   * Takes the chunk: a new item, RETRY, or an expired lease. Throws ChunkMembershipError when the
   * item names another membership (a message that cannot come from the write-once listing).
   */
  claim(input: ClaimChunkInput, now?: Date): Promise<ChunkClaim>;
  /**
   * One transaction: the chunk DONE with its log and counts (conditional on `owner` and
   * IN_PROGRESS) and the run's tally shard adding the records' counts and multiset hash.
   */
  commit(ref: ChunkRef, owner: string, commit: ChunkCommit, now?: Date): Promise<boolean>;
  /**
   * Extends the lease `owner` holds while its attempt still works (the runner's heartbeat), so a
   * live attempt longer than one lease is not taken over. False: the chunk is no longer its.
   */
  renew(ref: ChunkRef, owner: string, leaseSeconds: number, now?: Date): Promise<boolean>;
  /** Gives the chunk back (RETRY) so that a redelivery claims it at once. */
  giveBack(ref: ChunkRef, owner: string, error: string, now?: Date): Promise<boolean>;
  /**
   * The items of these chunks, strongly consistent, in no particular order; a chunk with no item is
   * left out (one BatchGetItem per 100 refs: batch-get-chunks.ts).
   */
  getMany(refs: ChunkRef[]): Promise<ChunkItem[]>;
  /** Every chunk item of a run, in no particular order (a Query per chunk shard). */
  listRun(runId: string): AsyncIterable<ChunkItem>;
}

/** A chunk message whose intents differ from the chunk item's: permanent, never retried into work. */
export class ChunkMembershipError extends Error {
  override name = 'ChunkMembershipError';
}
