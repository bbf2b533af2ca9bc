import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import type { ShardPool } from '../runs/shard-pool.js';
import { type ShardState, shardStateOf, shardUpdate } from '../runs/tally-shards.js';
import { batchGetChunks } from './batch-get-chunks.js';
import { chunkItemOf, isConditionFailure, itemOfConditionFailure } from './chunk-item.js';
import { CHUNK_SHARDS, chunkItemKey, chunkPartitionKey } from './chunk-item-key.js';
import {
  type ChunkClaim,
  type ChunkCommit,
  type ChunkItem,
  ChunkMembershipError,
  type ChunkRef,
  type ChunkStore,
  type ClaimChunkInput,
} from './chunk-store.js';
import { claimUpdate, doneUpdate, giveBackUpdate, renewUpdate } from './chunk-updates.js';

/** Transactions tried for one commit: catching up with a moved shard, or after a conflict. */
const MAX_COMMIT_ATTEMPTS = 25;

/**
 * {@link ChunkStore} on the ledger table (docs/architecture.md, "Chunk ledger"). A claim is one
 * UpdateItem; a commit is one TransactWriteItems of the chunk going DONE and the run's tally shard
 * counting its records (shards as the audit log counted them: a version-conditioned update on a
 * shard this process holds from `shards`), so a chunk is counted exactly once, by the attempt that
 * commits it, however often its message is delivered.
 */
export class DynamoDbChunkStore implements ChunkStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly shards: ShardPool,
  ) {}

  async get(ref: ChunkRef): Promise<ChunkItem | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: chunkItemKey(ref), ConsistentRead: true }),
    );
    return out.Item ? chunkItemOf(out.Item) : undefined;
  }

  async getMany(refs: ChunkRef[]): Promise<ChunkItem[]> {
    return batchGetChunks(this.client, this.table, refs);
  }

  /**
   * A new chunk, a chunk given back (RETRY) or one whose lease ran out is taken: attempt + 1 and a
   * fresh salt appended; `firstClaimedAt` and the membership digest are set once. A failed condition
   * returns the item as it is (ALL_OLD), so telling a live lease, a DONE chunk and a foreign
   * membership apart needs no read.
   */
  async claim(input: ClaimChunkInput, now = new Date()): Promise<ChunkClaim> {
    try {
      const out = await this.client.send(
        new UpdateCommand(claimUpdate(this.table, input, now, randomBytes(16).toString('hex'))),
      );
      return { claimed: true, item: chunkItemOf(out.Attributes!) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = itemOfConditionFailure(error);
      const existing = old ? chunkItemOf(old) : await this.get(input);
      if (!existing) throw error;
      if (existing.membership !== input.membership) {
        throw new ChunkMembershipError(
          `chunk ${input.chunkId} of run ${input.runId} has membership ${existing.membership}, ` +
            `the message ${input.membership}`,
        );
      }
      return { claimed: false, existing };
    }
  }

  /**
   * The chunk DONE with its log and counts, and the run's tally shard counting its records, in one
   * transaction. A shard another writer moved is learned from the item DynamoDB returns and the
   * transaction goes again; a conflict with a concurrent transaction goes again after a short
   * jittered pause. False when the chunk's own condition failed: another attempt holds it now.
   */
  async commit(ref: ChunkRef, owner: string, commit: ChunkCommit, now = new Date()): Promise<boolean> {
    const done = doneUpdate(this.table, ref, owner, commit, now);
    if (commit.records.length === 0) return this.conditional(done, (old) => committedAlready(old, commit));
    const lease = await this.shards.acquire(ref.runId);
    // What the shard is after this commit, for the next one in this process (undefined: unsure).
    let known: ShardState | undefined = lease.known;
    try {
      for (let attempt = 1; ; attempt++) {
        const tally = shardUpdate(this.table, ref.runId, lease.shard, known, commit.records);
        try {
          await this.client.send(
            new TransactWriteCommand({ TransactItems: [{ Update: done }, { Update: tally.update }] }),
          );
          known = tally.next;
          return true;
        } catch (error) {
          const reasons = transactionCancellation(error);
          if (!reasons) {
            known = undefined;
            throw error;
          }
          const shardMoved = reasons[1]?.Code === 'ConditionalCheckFailed';
          if (shardMoved) known = shardStateOf(reasons[1]!.Item && unmarshall(reasons[1]!.Item));
          if (reasons[0]?.Code === 'ConditionalCheckFailed') {
            return committedAlready(reasons[0].Item && unmarshall(reasons[0].Item), commit);
          }
          if (attempt >= MAX_COMMIT_ATTEMPTS) throw error;
          if (shardMoved) continue;
          if (reasons.some((r) => r.Code === 'TransactionConflict')) {
            await sleep(Math.random() * 20 * Math.min(attempt, 10));
            continue;
          }
          throw error;
        }
      }
    } finally {
      this.shards.release(lease, known);
    }
  }

  /** RETRY: a redelivery claims the chunk at once instead of waiting for the lease to run out. */
  async giveBack(ref: ChunkRef, owner: string, error: string, now = new Date()): Promise<boolean> {
    return this.conditional(giveBackUpdate(this.table, ref, owner, error, now));
  }

  async renew(ref: ChunkRef, owner: string, leaseSeconds: number, now = new Date()): Promise<boolean> {
    return this.conditional(renewUpdate(this.table, ref, owner, leaseSeconds, now));
  }

  /** A Query per chunk shard, every page, strongly consistent: a chunk just committed is seen. */
  async *listRun(runId: string): AsyncIterable<ChunkItem> {
    for (let shard = 0; shard < CHUNK_SHARDS; shard++) {
      const pages = paginateQuery(
        { client: this.client },
        {
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': chunkPartitionKey(runId, shard) },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) for (const item of page.Items ?? []) yield chunkItemOf(item);
    }
  }

  /** One conditional UpdateItem: false when its condition did not hold (unless `landed` says it had). */
  private async conditional(
    update: ConstructorParameters<typeof UpdateCommand>[0],
    landed: (old: Record<string, unknown> | undefined) => boolean = () => false,
  ): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand(update));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return landed(itemOfConditionFailure(error));
      throw error;
    }
  }
}

/**
 * A commit whose chunk condition failed because this very commit landed before (a reply lost and
 * the call made again): the item is DONE with this log. Then it was counted, once, and stays so.
 */
function committedAlready(old: Record<string, unknown> | undefined, commit: ChunkCommit): boolean {
  return old?.state === 'DONE' && old.logKey === commit.log.key && old.logSha256 === commit.log.sha256;
}
