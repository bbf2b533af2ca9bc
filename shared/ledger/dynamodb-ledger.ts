import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type {
  ClaimInput,
  ClaimResult,
  DecisionInput,
  FinishInput,
  Ledger,
  LedgerItem,
  ObjectRef,
} from './ledger.js';
import { type IndexedWrap, WrapIndexWriter } from './wrap-index-writer.js';

/** Partition key of an object's items; the sort key is the operation. */
export function objectPartitionKey(bucket: string, key: string): string {
  return `obj#${bucket}/${key}`;
}

/**
 * When work on an object may (re)start: no item yet; handed back for retry; a crashed owner's
 * lease has run out; or a finished item from another run or for other object bytes (new ETag).
 */
const CLAIMABLE = [
  'attribute_not_exists(pk)',
  '#state = :retry',
  '(#state = :inProgress AND #leaseExpiresAt < :nowMs)',
  // A decision recorded without a claim (an object missing at the time) has no sourceEtag; a
  // comparison with a missing attribute is false in DynamoDB, so test for it explicitly.
  '(#state <> :inProgress AND (#runId <> :runId OR attribute_not_exists(#sourceEtag) OR #sourceEtag <> :sourceEtag))',
].join(' OR ');

/**
 * When a no-claim decision (compliant, skipped) may be recorded: as CLAIMABLE, except that within
 * one run a finished item only yields to object bytes it has not seen yet, neither as its source
 * nor as its own result (a redelivered job after our own write must not count twice).
 */
const DECIDABLE = [
  'attribute_not_exists(pk)',
  '#state = :retry',
  '(#state = :inProgress AND #leaseExpiresAt < :nowMs)',
  '(#state <> :inProgress AND #runId <> :runId)',
  '(#state <> :inProgress AND #sourceEtag <> :currentEtag' +
    ' AND (attribute_not_exists(#resultEtag) OR #resultEtag <> :currentEtag)' +
    ' AND (attribute_not_exists(#currentEtag) OR #currentEtag <> :currentEtag))',
].join(' OR ');

function keyOf(ref: ObjectRef) {
  return { pk: objectPartitionKey(ref.bucket, ref.key), sk: ref.operation };
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

function unmarshallItem(raw: ConditionalCheckFailedException['Item']): LedgerItem | undefined {
  return raw ? (unmarshall(raw) as LedgerItem) : undefined;
}

/** Builds `SET a = :a, b = :b` from an object, skipping undefined values. */
function setClause(values: Record<string, unknown>) {
  const names: Record<string, string> = {};
  const vals: Record<string, unknown> = {};
  const parts: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    names[`#${name}`] = name;
    vals[`:${name}`] = value;
    parts.push(`#${name} = :${name}`);
  }
  return { expression: `SET ${parts.join(', ')}`, names, values: vals };
}

/** Keeps only the names and values an expression uses: DynamoDB rejects unused ones. */
function usedOnly(expressions: string, names: Record<string, string>, values: Record<string, unknown>) {
  const used = (token: string) => new RegExp(`${token}(?![A-Za-z0-9_])`).test(expressions);
  return {
    ExpressionAttributeNames: Object.fromEntries(Object.entries(names).filter(([n]) => used(n))),
    ExpressionAttributeValues: Object.fromEntries(Object.entries(values).filter(([v]) => used(v))),
  };
}

/** {@link Ledger} on one DynamoDB table (pk, sk), shared with run records. */
export class DynamoDbLedger implements Ledger {
  /** Keeps the sharded wrap index key and the per-key summaries with every wrap written here. */
  private readonly wraps: WrapIndexWriter;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.wraps = new WrapIndexWriter(client, tableName);
  }

  async get(ref: ObjectRef): Promise<LedgerItem | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(ref), ConsistentRead: true }),
    );
    return out.Item as LedgerItem | undefined;
  }

  async claim(input: ClaimInput, now = new Date()): Promise<ClaimResult> {
    const set = setClause({
      bucket: input.bucket,
      key: input.key,
      operation: input.operation,
      state: 'IN_PROGRESS',
      runId: input.runId,
      jobId: input.jobId,
      owner: input.owner,
      leaseExpiresAt: now.getTime() + input.leaseSeconds * 1000,
      sourceEtag: input.sourceEtag,
      sourceVersionId: input.sourceVersionId,
      mode: input.mode,
      method: input.method,
      envelopeIv: input.envelopeIv,
      updatedAt: now.toISOString(),
    });
    const UpdateExpression = `${set.expression} ADD attempts :one REMOVE #reason, #error, reconciled`;
    const ConditionExpression = CLAIMABLE;
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(input),
          UpdateExpression,
          ConditionExpression,
          // No old values means a new item: the audit append can skip reading the object's anchor.
          ReturnValues: 'UPDATED_OLD',
          ...usedOnly(
            `${UpdateExpression} ${ConditionExpression}`,
            { ...set.names, '#reason': 'reason', '#error': 'error' },
            {
              ...set.values,
              ':one': 1,
              ':retry': 'RETRY',
              ':inProgress': 'IN_PROGRESS',
              ':nowMs': now.getTime(),
            },
          ),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, firstClaim: Object.keys(out.Attributes ?? {}).length === 0 };
    } catch (error) {
      if (isConditionFailure(error)) {
        return {
          claimed: false,
          // The document client does not unmarshall the item returned with a condition failure.
          existing: unmarshallItem((error as ConditionalCheckFailedException).Item),
        };
      }
      throw error;
    }
  }

  async finish(ref: ObjectRef, owner: string, outcome: FinishInput, now = new Date()): Promise<boolean> {
    return this.wraps.around(ref, outcome, (wrap) =>
      this.transitionReturningOld(
        ref,
        { ...outcome, ...wrap, updatedAt: now.toISOString() },
        '#state = :inProgress AND #owner = :owner',
        { ':inProgress': 'IN_PROGRESS', ':owner': owner },
        'REMOVE #owner, #leaseExpiresAt',
      ),
    );
  }

  async release(ref: ObjectRef, owner: string, error: string, now = new Date()): Promise<boolean> {
    return this.transition(
      ref,
      { state: 'RETRY', error, updatedAt: now.toISOString() },
      '#state = :inProgress AND #owner = :owner',
      { ':inProgress': 'IN_PROGRESS', ':owner': owner },
      'REMOVE #owner, #leaseExpiresAt',
    );
  }

  async recordDecision(input: DecisionInput, now = new Date()): Promise<boolean> {
    // Protection fields (keyArn, wrappedAt, resultEtag) are left as they are: a compliant object
    // we protected earlier stays in the rotation index.
    return this.transition(
      input,
      {
        bucket: input.bucket,
        key: input.key,
        operation: input.operation,
        state: input.state,
        runId: input.runId,
        jobId: input.jobId,
        mode: input.mode,
        currentEtag: input.currentEtag ?? '',
        reason: input.reason,
        updatedAt: now.toISOString(),
      },
      DECIDABLE,
      { ':retry': 'RETRY', ':inProgress': 'IN_PROGRESS', ':nowMs': now.getTime() },
      'ADD attempts :zero REMOVE #owner, #leaseExpiresAt',
      { ':zero': 0 },
    );
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
      this.transitionReturningOld(
        existing,
        { ...outcome, ...wrap, reconciled: true, updatedAt: now.toISOString() },
        '#state = :inProgress AND #owner = :owner',
        { ':inProgress': 'IN_PROGRESS', ':owner': existing.owner ?? '' },
        'REMOVE #owner, #leaseExpiresAt',
      ),
    );
  }

  private async transition(
    ref: ObjectRef,
    fields: Record<string, unknown>,
    condition: string,
    conditionValues: Record<string, unknown>,
    tail: string,
    tailValues: Record<string, unknown> = {},
  ): Promise<boolean> {
    return (await this.transitionReturningOld(ref, fields, condition, conditionValues, tail, tailValues))
      .written;
  }

  /** A conditional transition that also returns the old values of the attributes it changed. */
  private async transitionReturningOld(
    ref: ObjectRef,
    fields: Record<string, unknown>,
    condition: string,
    conditionValues: Record<string, unknown>,
    tail: string,
    tailValues: Record<string, unknown> = {},
  ): Promise<IndexedWrap> {
    const set = setClause(fields);
    const names: Record<string, string> = { ...set.names };
    for (const name of [
      'state',
      'owner',
      'leaseExpiresAt',
      'runId',
      'sourceEtag',
      'resultEtag',
      'currentEtag',
    ])
      names[`#${name}`] = name;
    const UpdateExpression = `${set.expression} ${tail}`;
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(ref),
          UpdateExpression,
          ConditionExpression: condition,
          ReturnValues: 'UPDATED_OLD',
          ...usedOnly(`${UpdateExpression} ${condition}`, names, {
            ...set.values,
            ...conditionValues,
            ...tailValues,
          }),
        }),
      );
      return { written: true, old: out.Attributes };
    } catch (error) {
      if (isConditionFailure(error)) return { written: false };
      throw error;
    }
  }
}
