import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { WrapMove } from '../lifecycle/job-closer.js';
import type { ClaimInput, DecisionInput, FinishInput, LedgerItem, ObjectRef } from './ledger.js';

/**
 * The ledger's conditional writes as plain UpdateItem inputs, so that one write can be sent alone
 * or as an item of a transaction (docs/architecture.md, "Batch-first storage").
 */

/** Partition key of an object's items; the sort key is the operation. */
export function objectPartitionKey(bucket: string, key: string): string {
  return `obj#${bucket}/${key}`;
}

export function ledgerKey(ref: ObjectRef) {
  return { pk: objectPartitionKey(ref.bucket, ref.key), sk: ref.operation };
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

/** Held by `owner` and still in progress: the condition of every transition that ends a claim. */
export const HELD_BY_OWNER = '#state = :inProgress AND #owner = :owner';

export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

export function unmarshallItem(raw: ConditionalCheckFailedException['Item']): LedgerItem | undefined {
  return raw ? (unmarshall(raw) as LedgerItem) : undefined;
}

/** Builds `SET a = :a, b = :b` from an object, skipping undefined values. */
export function setClause(values: Record<string, unknown>) {
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
export function usedOnly(
  expressions: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
) {
  const used = (token: string) => new RegExp(`${token}(?![A-Za-z0-9_])`).test(expressions);
  return {
    ExpressionAttributeNames: Object.fromEntries(Object.entries(names).filter(([n]) => used(n))),
    ExpressionAttributeValues: Object.fromEntries(Object.entries(values).filter(([v]) => used(v))),
  };
}

/** The claim of one job as an UpdateItem input (without return values: the caller adds them). */
export function claimUpdate(tableName: string, input: ClaimInput, now: Date) {
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
  return {
    TableName: tableName,
    Key: ledgerKey(input),
    UpdateExpression,
    ConditionExpression,
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
  } satisfies UpdateCommandInput;
}

/** A conditional transition of one ledger item as an UpdateItem input. */
export function transitionUpdate(
  tableName: string,
  ref: ObjectRef,
  fields: Record<string, unknown>,
  condition: string,
  values: Record<string, unknown>,
  tail: string,
) {
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
    'wrapKey',
    'wrappedAt',
  ])
    names[`#${name}`] = name;
  const UpdateExpression = `${set.expression} ${tail}`;
  return {
    TableName: tableName,
    Key: ledgerKey(ref),
    UpdateExpression,
    ConditionExpression: condition,
    ...usedOnly(`${UpdateExpression} ${condition}`, names, { ...set.values, ...values }),
  } satisfies UpdateCommandInput;
}

/**
 * The finish of a claim `owner` holds. `replacesNoWrap`: also require that the item indexes no
 * earlier wrap, for a writer that cannot take that wrap off its key's summary (a transaction).
 */
export function finishUpdate(
  tableName: string,
  ref: ObjectRef,
  owner: string,
  fields: FinishInput & { wrapKey?: string; updatedAt: string },
  options: { replacesNoWrap?: boolean } = {},
) {
  const condition = options.replacesNoWrap
    ? `${HELD_BY_OWNER} AND attribute_not_exists(#wrapKey)`
    : HELD_BY_OWNER;
  return transitionUpdate(
    tableName,
    ref,
    fields as unknown as Record<string, unknown>,
    condition,
    { ':inProgress': 'IN_PROGRESS', ':owner': owner },
    'REMOVE #owner, #leaseExpiresAt',
  );
}

/** A decision that needed no claim (compliant, skipped), recorded once per run and ETag. */
export function decisionUpdate(tableName: string, input: DecisionInput, now: Date) {
  // Protection fields (keyArn, wrappedAt, resultEtag) are left as they are: a compliant object
  // we protected earlier stays in the rotation index.
  return transitionUpdate(
    tableName,
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
    { ':retry': 'RETRY', ':inProgress': 'IN_PROGRESS', ':nowMs': now.getTime(), ':zero': 0 },
    'ADD attempts :zero REMOVE #owner, #leaseExpiresAt',
  );
}

/**
 * A re-wrap's record on the object's `encrypt` item (the rotation index): the new key, its wrap
 * time and index key, conditional on the item still indexing the wrap the job read (or none).
 */
export function wrapMoveUpdate(
  tableName: string,
  ref: ObjectRef,
  move: WrapMove,
  wrapKey: string,
  now: Date,
) {
  const old = move.replaces;
  return transitionUpdate(
    tableName,
    { ...ref, operation: 'encrypt' },
    {
      bucket: ref.bucket,
      key: ref.key,
      operation: 'encrypt',
      keyArn: move.keyArn,
      wrappedAt: move.wrappedAt,
      resultEtag: move.resultEtag,
      currentEtag: move.resultEtag,
      wrapKey,
      updatedAt: now.toISOString(),
    },
    old ? '#wrapKey = :oldWrapKey AND #wrappedAt = :oldWrappedAt' : 'attribute_not_exists(#wrapKey)',
    old ? { ':oldWrapKey': old.wrapKey, ':oldWrappedAt': old.wrappedAt } : {},
    'REMOVE pendingWrap',
  );
}
