import { appendFileSync } from 'node:fs';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { requestTrace } from './request-trace.js';

/**
 * Requests actually sent, counted by an SDK middleware (retries included): by service (`s3`) and
 * by service and operation (`s3.CopyObject`), which the cost model needs. DynamoDB write units
 * are measured too (see {@link countWriteUnits}): `dynamo.wcu.table` and `dynamo.wcu.index`; and
 * read units (`dynamo.rcu`: GetItem, BatchGetItem, Query). S3 requests to the audit bucket (chunk
 * logs, listing records: docs/architecture.md, "Audit trail in S3") are S3 requests like any
 * other, priced by their operation, and also counted apart as `s3.audit-trail` (no operation of
 * that name exists, so the cost model never prices it twice).
 */
export type RequestCounts = Record<string, number>;

/**
 * Inputs of the requests the counter sends itself (a DescribeTable per table, for index keys):
 * not the contender's requests, and a proxy on the wire of the measured process would not see them.
 */
const ownInputs = new WeakSet<object>();

/** The key under which requests to the audit bucket are counted a second time. */
export const AUDIT_TRAIL_REQUESTS = 's3.audit-trail';

export function countRequests(
  clients: Record<string, unknown>,
  options: { auditBucket?: string } = {},
): RequestCounts {
  const counts: RequestCounts = {};
  // S3SEAL_BENCH_TRACE=FILE: one JSON line per request, what it touched and which code sent it
  // (bench/request-trace.ts), to find where a run's requests go.
  const trace = process.env.S3SEAL_BENCH_TRACE;
  // Every SDK v3 client has the same middleware stack shape; typed through S3Client's for brevity.
  for (const [service, client] of Object.entries(clients) as Array<[string, S3Client]>) {
    counts[service] = 0;
    if (service === 's3' && options.auditBucket) counts[AUDIT_TRAIL_REQUESTS] = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (ownInputs.has(args.input as object)) return next(args);
        const operation = `${service}.${String(context.commandName).replace(/Command$/, '')}`;
        counts[service] = (counts[service] ?? 0) + 1;
        counts[operation] = (counts[operation] ?? 0) + 1;
        const bucket = (args.input as { Bucket?: string }).Bucket;
        if (service === 's3' && options.auditBucket && bucket === options.auditBucket)
          counts[AUDIT_TRAIL_REQUESTS] = (counts[AUDIT_TRAIL_REQUESTS] ?? 0) + 1;
        if (!trace) return next(args);
        // Each line also says when the request left and how long it took (ms since process start),
        // so a run's timeline shows where its wall time goes.
        const at = performance.now();
        try {
          return await next(args);
        } finally {
          const ms = +(performance.now() - at).toFixed(1);
          const line = { ...requestTrace(operation, args.input), at: +at.toFixed(1), ms };
          appendFileSync(trace, `${JSON.stringify(line)}\n`);
        }
      },
      { step: 'finalizeRequest', name: `countRequests-${service}` },
    );
    if (service === 'dynamo') countWriteUnits(client, counts);
  }
  return counts;
}

const WRITES = /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|Put|Update|Delete)Command$/;
const READS = /^(GetItem|BatchGetItem|Query|Get|BatchGet)Command$/;
const TRANSACT_WRITE = /^TransactWrite(Items)?Command$/;

interface Capacity {
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

interface TransactItem {
  Put?: { TableName: string; Item: Record<string, unknown> };
  Update?: {
    TableName: string;
    UpdateExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
  };
  Delete?: { TableName: string };
  ConditionCheck?: { TableName: string };
}

/**
 * Write units as DynamoDB bills them, table and indexes apart (`dynamo.wcu.table`,
 * `dynamo.wcu.index`). Plain writes ask for `ReturnConsumedCapacity: INDEXES` and take DynamoDB
 * Local's answer, which matches AWS's rules (one unit per KB, one per index entry written).
 * DynamoDB Local's figures for transactions do not (one Put is reported as four units, three items
 * as four or eight), so a transaction is counted by AWS's documented rule instead: two units per
 * item written (items here are under 1 KB: a chunk item keeps its membership's digest, not the
 * membership; a tally shard its counters and MuHASH), plus one index write for each Put whose item
 * carries an index key of its table, and for each Update that sets one (tables described once).
 */
/** Whether an Update's SET clause writes an attribute that keys one of its table's indexes. */
function setsIndexKey(update: NonNullable<TransactItem['Update']>, keys: Set<string>): boolean {
  const set = /^SET (.*?)(?: (?:ADD|REMOVE|DELETE) |$)/.exec(update.UpdateExpression ?? '')?.[1] ?? '';
  const names = update.ExpressionAttributeNames ?? {};
  return set
    .split(',')
    .map((assignment) => assignment.split('=')[0]!.trim())
    .some((target) => keys.has(names[target] ?? target));
}

function countWriteUnits(client: S3Client, counts: RequestCounts) {
  counts['dynamo.wcu.table'] = 0;
  counts['dynamo.wcu.index'] = 0;
  counts['dynamo.rcu'] = 0;
  const indexKeys = new Map<string, Promise<Set<string>>>();
  const indexKeysOf = (table: string) => {
    let known = indexKeys.get(table);
    if (!known) {
      const input = { TableName: table };
      ownInputs.add(input);
      known = (client as unknown as { send(c: unknown): Promise<{ Table?: TableShape }> })
        .send(new DescribeTableCommand(input))
        .then(
          ({ Table }) =>
            new Set(
              (Table?.GlobalSecondaryIndexes ?? []).flatMap((i) => i.KeySchema.map((k) => k.AttributeName)),
            ),
        );
      indexKeys.set(table, known);
    }
    return known;
  };
  const add = (table: number, index: number) => {
    counts['dynamo.wcu.table'] = (counts['dynamo.wcu.table'] ?? 0) + table;
    counts['dynamo.wcu.index'] = (counts['dynamo.wcu.index'] ?? 0) + index;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      if (TRANSACT_WRITE.test(command)) {
        const items = ((args.input as { TransactItems?: TransactItem[] }).TransactItems ?? []).filter(
          (item) => !item.ConditionCheck,
        );
        const result = await next(args);
        let indexWrites = 0;
        for (const item of items) {
          if (item.Put) {
            const keys = await indexKeysOf(item.Put.TableName);
            if (Object.keys(item.Put.Item).some((name) => keys.has(name))) indexWrites += 1;
          } else if (item.Update) {
            const keys = await indexKeysOf(item.Update.TableName);
            if (setsIndexKey(item.Update, keys)) indexWrites += 1;
          }
        }
        add(2 * items.length, indexWrites);
        return result;
      }
      if (READS.test(command)) {
        // Read units as DynamoDB Local reports them, which follow AWS's rules (checked: a strongly
        // consistent read of an item under 4 KB is one unit, eventually consistent half; a batch
        // is one per item; a Query one per 4 KB of the items it returns).
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const reported = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        for (const capacity of [reported ?? []].flat())
          counts['dynamo.rcu'] = (counts['dynamo.rcu'] ?? 0) + (capacity.CapacityUnits ?? 0);
        return result;
      }
      if (!WRITES.test(command)) return next(args);
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      const reported = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      for (const capacity of [reported ?? []].flat()) {
        const indexes = [capacity.GlobalSecondaryIndexes, capacity.LocalSecondaryIndexes]
          .flatMap((group) => Object.values(group ?? {}))
          .reduce((sum, index) => sum + (index.CapacityUnits ?? 0), 0);
        add(capacity.Table?.CapacityUnits ?? (capacity.CapacityUnits ?? 0) - indexes, indexes);
      }
      return result;
    },
    { step: 'initialize', name: 'countWriteUnits' },
  );
}

interface TableShape {
  GlobalSecondaryIndexes?: Array<{ KeySchema: Array<{ AttributeName: string }> }>;
}

export function perObject(counts: RequestCounts, objects: number): RequestCounts {
  return Object.fromEntries(Object.entries(counts).map(([s, n]) => [s, +(n / objects).toFixed(3)]));
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMb(): number {
  return +(process.resourceUsage().maxRSS / 1024).toFixed(1);
}
