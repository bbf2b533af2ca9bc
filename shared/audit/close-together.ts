import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import { batchGetItems, foundItem } from '../ledger/batch-get.js';
import {
  decisionUpdate,
  finishUpdate,
  objectPartitionKey,
  wrapMoveUpdate,
} from '../ledger/ledger-updates.js';
import { movedWrapOf, type SummaryAdds, summaryUpdates, wrapOf } from '../ledger/summary-adds.js';
import type { GroupCommit, GroupStage } from '../lifecycle/group-commit.js';
import type { CloseOutcome, CloseRequest, JobCloser } from '../lifecycle/job-closer.js';
import type { ShardLease, ShardPool } from '../runs/shard-pool.js';
import { type ShardState, shardStateOf, shardUpdate } from '../runs/tally-shards.js';
import { anchorKey, chainedAppend, countReasonOf } from './audit-log.js';
import { type ChainAnchor, chain } from './hash-chain.js';

/** Closes per transaction at most: three items each, plus tally shards and summaries (limit 100). */
export const MAX_CLOSES_TOGETHER = 20;
/** Transactions tried for one group before the closes left go one by one. */
const MAX_ROUNDS = 8;

type ItemRole = { role: 'record' | 'anchor' | 'ledger'; close: number } | { role: 'tally'; runId: string };

/**
 * {@link JobCloser} on DynamoDB. One TransactWriteItems closes the group: per job its audit record
 * (conditional on its absence), its object's chain anchor (conditional on the head it links
 * after) and its ledger write (a claim's finish, conditional on the owner, or a decision, on its
 * own condition); per run one tally-shard update that
 * counts all its records; per wrapping key one summary update. All land or none: a record is never
 * counted twice nor a finish without its record. A cancelled transaction tells each item's fate:
 * a moved anchor or shard is learned from the item DynamoDB returns and the group goes again; a
 * record already there or a refused ledger write sends that job `apart`, to the one-by-one path.
 */
export class DynamoDbJobCloser implements JobCloser {
  private readonly stage?: GroupStage<CloseRequest, CloseOutcome>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly auditTable: string,
    private readonly ledgerTable: string,
    private readonly shards: ShardPool,
    group?: GroupCommit,
  ) {
    this.stage = group?.stage((closes) => this.closeTogether(closes), { maxItems: MAX_CLOSES_TOGETHER });
  }

  close(request: CloseRequest): Promise<CloseOutcome> {
    return this.stage ? this.stage.submit(request) : this.closeTogether([request]).then(([o]) => o!);
  }

  async closeAll(requests: CloseRequest[]): Promise<CloseOutcome[]> {
    const outcomes: CloseOutcome[] = [];
    for (let at = 0; at < requests.length; at += MAX_CLOSES_TOGETHER) {
      outcomes.push(...(await this.closeTogether(requests.slice(at, at + MAX_CLOSES_TOGETHER))));
    }
    return outcomes;
  }

  private async closeTogether(closes: CloseRequest[]): Promise<CloseOutcome[]> {
    const outcomes: Array<CloseOutcome | undefined> = Array.from({ length: closes.length });
    // The anchor each close links after: absent for a chain believed new, else read (one BatchGet).
    const anchors = new Map<number, ChainAnchor | undefined>();
    closes.forEach((c, i) => {
      if (c.hints.likelyNewChain) anchors.set(i, undefined);
    });
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const pending = closes.map((_, i) => i).filter((i) => !outcomes[i]);
      if (pending.length === 0) break;
      await this.readAnchors(closes, pending, anchors);
      // One transaction names each item once: a second close on one object waits a round.
      const objects = new Set<string>();
      const now = pending.filter((i) => {
        const object = objectPartitionKey(closes[i]!.ref.bucket, closes[i]!.ref.key);
        if (objects.has(object)) return false;
        objects.add(object);
        return true;
      });
      const conflicted = await this.closeRound(closes, now, anchors, outcomes);
      if (conflicted) await sleep(Math.random() * 20 * round);
    }
    return outcomes.map((o) => o ?? 'apart');
  }

  /** One transaction; settles what it can in `outcomes`. Returns whether a conflict cancelled it. */
  private async closeRound(
    closes: CloseRequest[],
    indexes: number[],
    anchors: Map<number, ChainAnchor | undefined>,
    outcomes: Array<CloseOutcome | undefined>,
  ): Promise<boolean> {
    const runs = [...new Set(indexes.map((i) => closes[i]!.record.runId))];
    const leases = new Map<string, ShardLease>();
    const learned = new Map<string, ShardState | undefined>();
    try {
      for (const runId of runs) {
        const lease = await this.shards.acquire(runId);
        leases.set(runId, lease);
        learned.set(runId, lease.known);
      }
      const roles: ItemRole[] = [];
      const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
      const counted = new Map<string, Parameters<typeof shardUpdate>[4]>();
      const summaries: SummaryAdds = new Map();
      for (const i of indexes) {
        const { record, hints, ref, ledger, now } = closes[i]!;
        const anchor = anchors.get(i);
        const chained = chain(record, anchor);
        items.push(...chainedAppend(this.auditTable, this.ledgerTable, chained, anchor));
        // An inventory row settled without a ledger item has no ledger write: record, anchor, count.
        if (ledger && 'decision' in ledger) {
          items.push({ Update: decisionUpdate(this.ledgerTable, ledger.decision, now) });
        } else if (ledger) {
          const wrap = wrapOf(ref, ledger.finish);
          if (wrap) summaries.set(wrap.summary, [...(summaries.get(wrap.summary) ?? []), wrap]);
          const fields = { ...ledger.finish, wrapKey: wrap?.wrapKey, updatedAt: now.toISOString() };
          // A wrap this finish would replace must come off its key's summary: that needs the old
          // values, which a transaction does not return, so such a close goes apart.
          const options = { replacesNoWrap: wrap !== undefined };
          items.push({ Update: finishUpdate(this.ledgerTable, ref, ledger.owner, fields, options) });
        }
        roles.push({ role: 'record', close: i }, { role: 'anchor', close: i });
        if (ledger) roles.push({ role: 'ledger', close: i });
        const { wrapMove } = closes[i]!;
        if (wrapMove) {
          // A re-wrap: the rotation index moves to the new key, its summaries with it.
          const { added, removed } = movedWrapOf(ref, wrapMove);
          for (const wrap of removed ? [added, removed] : [added]) {
            summaries.set(wrap.summary, [...(summaries.get(wrap.summary) ?? []), wrap]);
          }
          items.push({ Update: wrapMoveUpdate(this.ledgerTable, ref, wrapMove, added.wrapKey, now) });
          roles.push({ role: 'ledger', close: i });
        }
        const reason = countReasonOf(record, hints);
        counted.set(record.runId, [...(counted.get(record.runId) ?? []), { ...chained, reason }]);
      }
      const nextStates = new Map<string, ShardState>();
      for (const [runId, records] of counted) {
        const lease = leases.get(runId)!;
        const tally = shardUpdate(this.ledgerTable, runId, lease.shard, lease.known, records);
        nextStates.set(runId, tally.next);
        items.push({ Update: tally.update });
        roles.push({ role: 'tally', runId });
      }
      for (const update of summaryUpdates(this.ledgerTable, summaries)) items.push({ Update: update });
      try {
        await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      } catch (error) {
        const reasons = transactionCancellation(error);
        if (!reasons) {
          // Anything but a cancellation (throttling past the SDK's retries, a lost reply): each job
          // goes apart, and fails alone if the error persists. Whether this transaction landed is
          // unknown, so the shards are read again next time; if it did land, each record is there
          // and each finish done, which the one-by-one path sees (duplicates, counted once).
          for (const runId of runs) learned.set(runId, undefined);
          for (const i of indexes) outcomes[i] = 'apart';
          return false;
        }
        return this.learnFrom(reasons, roles, anchors, outcomes, learned);
      }
      for (const [runId, state] of nextStates) learned.set(runId, state);
      for (const i of indexes) outcomes[i] = 'closed';
      return false;
    } finally {
      for (const [runId, lease] of leases) this.shards.release(lease, learned.get(runId));
    }
  }

  /** What a cancelled transaction's reasons say, item by item (see the class comment). */
  private learnFrom(
    reasons: NonNullable<ReturnType<typeof transactionCancellation>>,
    roles: ItemRole[],
    anchors: Map<number, ChainAnchor | undefined>,
    outcomes: Array<CloseOutcome | undefined>,
    learned: Map<string, ShardState | undefined>,
  ): boolean {
    let conflicted = false;
    roles.forEach((item, at) => {
      const reason = reasons[at];
      if (reason?.Code === 'TransactionConflict') conflicted = true;
      if (reason?.Code !== 'ConditionalCheckFailed') return;
      const returned = reason.Item && unmarshall(reason.Item);
      if (item.role === 'tally') {
        learned.set(item.runId, shardStateOf(returned));
      } else if (item.role === 'anchor') {
        // Linked onto the head DynamoDB returned, or read again if it returned none.
        if (returned?.head)
          anchors.set(item.close, { head: String(returned.head), seq: Number(returned.seq) });
        else anchors.delete(item.close);
      } else {
        outcomes[item.close] = 'apart';
      }
    });
    return conflicted;
  }

  /** Reads the anchors not known yet of `pending` closes, with one consistent BatchGetItem. */
  private async readAnchors(
    closes: CloseRequest[],
    pending: number[],
    anchors: Map<number, ChainAnchor | undefined>,
  ): Promise<void> {
    const unknown = pending.filter((i) => !anchors.has(i));
    if (unknown.length === 0) return;
    const found = await batchGetItems(
      this.client,
      this.ledgerTable,
      unknown.map((i) => anchorKey(closes[i]!.record.bucket, closes[i]!.record.key)),
    );
    for (const i of unknown) {
      const item = foundItem(found, anchorKey(closes[i]!.record.bucket, closes[i]!.record.key));
      anchors.set(i, item?.head ? { head: String(item.head), seq: Number(item.seq) } : undefined);
    }
  }
}
