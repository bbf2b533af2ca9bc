import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { GroupCommit, GroupStage } from '../lifecycle/group-commit.js';
import { BATCH_GET_KEYS, batchGetItems, foundItem } from './batch-get.js';
import { claimTogether } from './claim-together.js';
import type {
  ClaimInput,
  ClaimResult,
  DecisionInput,
  FinishInput,
  Ledger,
  LedgerItem,
  ObjectRef,
} from './ledger.js';
import {
  claimUpdate,
  decisionUpdate,
  finishUpdate,
  HELD_BY_OWNER,
  isConditionFailure,
  ledgerKey,
  transitionUpdate,
  unmarshallItem,
} from './ledger-updates.js';
import { type IndexedWrap, WrapIndexWriter } from './wrap-index-writer.js';

export { objectPartitionKey } from './ledger-updates.js';

const keyOf = ledgerKey;

/** Claims sent in one transaction at most (DynamoDB allows 100 items; a batch is 10). */
const MAX_CLAIMS_TOGETHER = 25;

/** {@link Ledger} on one DynamoDB table (pk, sk), shared with run records. */
export class DynamoDbLedger implements Ledger {
  /** Keeps the sharded wrap index key and the per-key summaries with every wrap written here. */
  private readonly wraps: WrapIndexWriter;

  /** Claims of jobs in flight together, sent as one transaction (absent: one request each). */
  private readonly claims?: GroupStage<{ input: ClaimInput; now: Date }, ClaimResult>;
  private readonly reads?: GroupStage<ObjectRef, LedgerItem | undefined>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { group?: GroupCommit } = {},
  ) {
    this.wraps = new WrapIndexWriter(client, tableName);
    // The items jobs of one group read (a re-wrap reads its own and the object's `encrypt` item)
    // share BatchGetItem requests, as their claims share a transaction.
    this.reads = options.group?.stage((refs) => this.getTogether(refs), { maxItems: BATCH_GET_KEYS });
    this.claims = options.group?.stage(
      (claims) =>
        claimTogether(client, tableName, claims, (claim) => this.claimAlone(claim.input, claim.now)),
      { maxItems: MAX_CLAIMS_TOGETHER },
    );
  }

  async get(ref: ObjectRef): Promise<LedgerItem | undefined> {
    if (this.reads) return this.reads.submit(ref);
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(ref), ConsistentRead: true }),
    );
    return out.Item as LedgerItem | undefined;
  }

  /** The items of a group's reads, each as strongly consistent as a lone GetItem. */
  private async getTogether(refs: ObjectRef[]): Promise<Array<LedgerItem | undefined>> {
    const found = await batchGetItems(this.client, this.tableName, refs.map(keyOf));
    return refs.map((ref) => foundItem(found, keyOf(ref)) as LedgerItem | undefined);
  }

  async claim(input: ClaimInput, now = new Date()): Promise<ClaimResult> {
    return this.claims ? this.claims.submit({ input, now }) : this.claimAlone(input, now);
  }

  /** One claim in its own request: it alone learns whether the item is new (see firstClaim). */
  private async claimAlone(input: ClaimInput, now: Date): Promise<ClaimResult> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          ...claimUpdate(this.tableName, input, now),
          // No old values means a new item: the audit append can skip reading the object's anchor.
          ReturnValues: 'UPDATED_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, firstClaim: Object.keys(out.Attributes ?? {}).length === 0 };
    } catch (error) {
      if (isConditionFailure(error)) {
        // The document client does not unmarshall the item returned with a condition failure.
        return { claimed: false, existing: unmarshallItem((error as { Item?: never }).Item) };
      }
      throw error;
    }
  }

  async finish(ref: ObjectRef, owner: string, outcome: FinishInput, now = new Date()): Promise<boolean> {
    return this.wraps.around(ref, outcome, (wrap) =>
      this.send(
        finishUpdate(this.tableName, ref, owner, { ...outcome, ...wrap, updatedAt: now.toISOString() }),
      ),
    );
  }

  async release(ref: ObjectRef, owner: string, error: string, now = new Date()): Promise<boolean> {
    const fields = { state: 'RETRY', error, updatedAt: now.toISOString() };
    const values = { ':inProgress': 'IN_PROGRESS', ':owner': owner };
    const tail = 'REMOVE #owner, #leaseExpiresAt';
    return (await this.send(transitionUpdate(this.tableName, ref, fields, HELD_BY_OWNER, values, tail)))
      .written;
  }

  async recordDecision(input: DecisionInput, now = new Date()): Promise<boolean> {
    const update = decisionUpdate(this.tableName, input, now);
    return (await this.send(update)).written;
  }

  async recordWrap(
    ref: ObjectRef,
    wrap: { keyArn: string; wrappedAt: string; resultEtag: string },
    now = new Date(),
  ): Promise<void> {
    await this.wraps.around(ref, wrap, async (indexed) => {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(ref),
          UpdateExpression: `SET #bucket = :bucket, #key = :key, #operation = :operation, keyArn = :keyArn, wrappedAt = :wrappedAt, resultEtag = :resultEtag, currentEtag = :resultEtag, updatedAt = :now${indexed.wrapKey ? ', wrapKey = :wrapKey' : ''} REMOVE pendingWrap`,
          ExpressionAttributeNames: { '#bucket': 'bucket', '#key': 'key', '#operation': 'operation' },
          ExpressionAttributeValues: {
            ':bucket': ref.bucket,
            ':key': ref.key,
            ':operation': ref.operation,
            ':keyArn': wrap.keyArn,
            ':wrappedAt': wrap.wrappedAt,
            ':resultEtag': wrap.resultEtag,
            ':now': now.toISOString(),
            ...(indexed.wrapKey ? { ':wrapKey': indexed.wrapKey } : {}),
          },
          // The wrap this one replaces, to take it off its key's summary.
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return { written: true, old: out.Attributes };
    });
  }

  async recordPendingWrap(ref: ObjectRef, digest: string, now = new Date()): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(ref),
        UpdateExpression: 'SET pendingWrap = :digest, updatedAt = :now',
        ExpressionAttributeValues: { ':digest': digest, ':now': now.toISOString() },
      }),
    );
  }

  async reconcile(existing: LedgerItem, outcome: FinishInput, now = new Date()): Promise<boolean> {
    return this.wraps.around(existing, outcome, (wrap) =>
      this.send(
        finishUpdate(this.tableName, existing, existing.owner ?? '', {
          ...outcome,
          ...wrap,
          reconciled: true,
          updatedAt: now.toISOString(),
        }),
      ),
    );
  }

  /** A conditional transition; on success also the old values of the attributes it changed. */
  private async send(update: ReturnType<typeof transitionUpdate>): Promise<IndexedWrap> {
    try {
      const out = await this.client.send(new UpdateCommand({ ...update, ReturnValues: 'UPDATED_OLD' }));
      return { written: true, old: out.Attributes };
    } catch (error) {
      if (isConditionFailure(error)) return { written: false };
      throw error;
    }
  }
}
