import {
  type DynamoDBDocumentClient,
  paginateQuery,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AuditDecision } from '../audit/audit-record.js';
import {
  addToMultiset,
  combineMultisets,
  EMPTY_MULTISET,
  type MultisetValue,
  multisetDigest,
} from '../audit/multiset-hash.js';
import { counterReason, emptyCounts, OUTCOMES, type Outcome, type OutcomeCounts } from './run-counts.js';

/**
 * A run's outcomes are counted in tally shards on the ledger table (`pk run#<runId>`,
 * `sk tally#<NN>`), by the same transaction that appends the audit record: counted exactly once
 * whatever retries (docs/architecture.md, "Counting and closing runs"). Each shard holds outcome
 * and reason counters, its record count (`ver`, also its version) and the multiset hash of its
 * records' hashes.
 */
export const TALLY_PREFIX = 'tally#';
export const COUNT_PREFIX = 'count_';
export const REASON_PREFIX = 'reason_';
/**
 * Objects counted by the KMS key they were under (docs/architecture.md, "Compliance"): the full ARN
 * in the attribute name (expression attribute names take any characters), never cut short as
 * reasons are, so a count always names its key. `srckey_rekeyed_<arn>`, `srckey_left_<arn>`.
 */
export const SOURCE_KEY_PREFIX = 'srckey_';
const SOURCE_KEY_KINDS = { rekeyed: 'rekeyedFrom', left: 'leftUnder' } as const;
export const DEFAULT_TALLY_SHARDS = 32;

export const tallyKey = (runId: string, shard: number) => ({
  pk: `run#${runId}`,
  sk: `${TALLY_PREFIX}${String(shard).padStart(2, '0')}`,
});

/** What this process last knew of a shard: its version (= records) and multiset hash. */
export interface ShardState {
  ver: number;
  digest: MultisetValue;
}

const OUTCOME_OF: Record<AuditDecision, Outcome> = {
  encrypted: 'encrypted',
  rewrapped: 'encrypted',
  compliant: 'compliant',
  skipped: 'skipped',
  superseded: 'superseded',
  failed: 'failed',
};

/** The counters one audit record adds: its outcome and, for some outcomes, its reason. */
export function countersOf(decision: AuditDecision, reason?: string): { outcome: Outcome; reason?: string } {
  const outcome = OUTCOME_OF[decision];
  // Encrypted objects carry a reason only as a warning (what the rewrite did not carry).
  const counted = outcome === 'skipped' || outcome === 'failed' || outcome === 'encrypted';
  return { outcome, reason: counted && reason ? counterReason(reason) : undefined };
}

/** One audit record as its shard counts it: hash for the multiset, outcome and reason counters. */
export interface CountedRecord {
  hash: string;
  decision: AuditDecision;
  at: string;
  reason?: string;
  /** The record's own fields a source-key count reads (sourceKeyCounterOf). */
  method?: string;
  keyArn?: string;
  keyArnBefore?: string;
}

/**
 * The source-key counter of a record, if it has one: an sse-kms re-key counts under the key the
 * object left (`keyArnBefore`), an object left under another KMS key under the key it stays under.
 */
export function sourceKeyCounterOf(record: Omit<CountedRecord, 'hash' | 'at'>): string | undefined {
  if (record.decision === 'encrypted' && record.method === 'rekey' && record.keyArnBefore) {
    return `${SOURCE_KEY_PREFIX}rekeyed_${record.keyArnBefore}`;
  }
  if (record.decision === 'skipped' && record.reason === 'under-another-kms-key' && record.keyArn) {
    return `${SOURCE_KEY_PREFIX}left_${record.keyArn}`;
  }
  return undefined;
}

/**
 * The shard update for one or more records, as a TransactWriteItems Update: conditional on the
 * version this process last saw (absent: a new shard), so the multiset hash it computed from that
 * state is the one it replaces. On a failed condition DynamoDB returns the shard (ALL_OLD): no
 * extra read. Several records (the jobs of one batch) make one update: one write per batch.
 */
export function shardUpdate(
  table: string,
  runId: string,
  shard: number,
  known: ShardState | undefined,
  records: CountedRecord[],
): { update: ShardUpdate; next: ShardState } {
  const next: ShardState = {
    ver: (known?.ver ?? 0) + records.length,
    digest: addToMultiset(known?.digest ?? EMPTY_MULTISET, ...records.map((r) => r.hash)),
  };
  const adds = new Map<string, number>();
  for (const record of records) {
    const counters = countersOf(record.decision, record.reason);
    const names = [`${COUNT_PREFIX}${counters.outcome}`];
    if (counters.reason) names.push(`${REASON_PREFIX}${counters.reason}`);
    const sourceKey = sourceKeyCounterOf(record);
    if (sourceKey) names.push(sourceKey);
    for (const name of names) adds.set(name, (adds.get(name) ?? 0) + 1);
  }
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses = [...adds].map(([name, n], i) => {
    names[`#c${i}`] = name;
    values[`:c${i}`] = n;
    return `#c${i} :c${i}`;
  });
  const lastAt = records.map((r) => r.at).reduce((a, b) => (a > b ? a : b));
  return {
    next,
    update: {
      TableName: table,
      Key: tallyKey(runId, shard),
      UpdateExpression: `SET digest = :digest, ver = :ver, lastAt = :at ADD ${clauses.join(', ')}`,
      ConditionExpression: known ? 'ver = :prev' : 'attribute_not_exists(ver)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':digest': next.digest,
        ':ver': next.ver,
        ':at': lastAt,
        ...values,
        ...(known ? { ':prev': known.ver } : {}),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

type ShardUpdate = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']>;

/** A shard's state from its item (as ALL_OLD or a Query returns it); undefined if it has none. */
export function shardStateOf(item: Record<string, unknown> | undefined): ShardState | undefined {
  if (!item || item.ver === undefined) return undefined;
  return { ver: Number(item.ver), digest: String(item.digest ?? EMPTY_MULTISET) };
}

/** A run's tally: the sum of its shards. */
export interface RunTally {
  counts: OutcomeCounts;
  /** Audit records counted (Σ shard versions). */
  records: number;
  /** The run's multiset hash over its records' hashes, and its short digest. */
  multiset: MultisetValue;
  digest: string;
  lastAt?: string;
  shards: number;
}

export function sumShards(items: Array<Record<string, unknown>>): RunTally {
  const counts = emptyCounts();
  let records = 0;
  let lastAt: string | undefined;
  const digests: MultisetValue[] = [];
  for (const item of items) {
    for (const [name, value] of Object.entries(item)) {
      if (name.startsWith(COUNT_PREFIX)) {
        const outcome = name.slice(COUNT_PREFIX.length) as Outcome;
        if ((OUTCOMES as readonly string[]).includes(outcome)) counts[outcome] += Number(value);
      } else if (name.startsWith(REASON_PREFIX)) {
        const reason = name.slice(REASON_PREFIX.length);
        counts.reasons[reason] = (counts.reasons[reason] ?? 0) + Number(value);
      } else if (name.startsWith(SOURCE_KEY_PREFIX)) {
        addSourceKey(counts, name.slice(SOURCE_KEY_PREFIX.length), Number(value));
      }
    }
    const state = shardStateOf(item);
    if (state) {
      records += state.ver;
      digests.push(state.digest);
    }
    if (typeof item.lastAt === 'string' && (!lastAt || item.lastAt > lastAt)) lastAt = item.lastAt;
  }
  const multiset = combineMultisets(digests);
  return { counts, records, multiset, digest: multisetDigest(multiset), lastAt, shards: items.length };
}

function addSourceKey(counts: OutcomeCounts, counter: string, n: number): void {
  const separator = counter.indexOf('_');
  const kind = SOURCE_KEY_KINDS[counter.slice(0, separator) as keyof typeof SOURCE_KEY_KINDS];
  if (!kind || separator < 0) return;
  const keyArn = counter.slice(separator + 1);
  const byKey = counts[kind] ?? {};
  byKey[keyArn] = (byKey[keyArn] ?? 0) + n;
  counts[kind] = byKey;
}

/** Reads a run's shards with one consistent Query (one page up to 1 MB: any sane shard count). */
export async function readTally(
  client: DynamoDBDocumentClient,
  table: string,
  runId: string,
): Promise<RunTally> {
  const items: Array<Record<string, unknown>> = [];
  for await (const page of paginateQuery(
    { client },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `run#${runId}`, ':prefix': TALLY_PREFIX },
      ConsistentRead: true,
    },
  )) {
    items.push(...(page.Items ?? []));
  }
  return sumShards(items);
}
