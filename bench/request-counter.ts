import type { S3Client } from '@aws-sdk/client-s3';

/**
 * Requests actually sent, counted by an SDK middleware (retries included): by service (`s3`) and
 * by service and operation (`s3.CopyObject`), which the cost model needs. DynamoDB write units
 * are measured too (see {@link countWriteUnits}): `dynamo.wcu.table` and `dynamo.wcu.index`.
 */
export type RequestCounts = Record<string, number>;

export function countRequests(clients: Record<string, unknown>): RequestCounts {
  const counts: RequestCounts = {};
  // Every SDK v3 client has the same middleware stack shape; typed through S3Client's for brevity.
  for (const [service, client] of Object.entries(clients) as Array<[string, S3Client]>) {
    counts[service] = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = `${service}.${String(context.commandName).replace(/Command$/, '')}`;
        counts[service] = (counts[service] ?? 0) + 1;
        counts[operation] = (counts[operation] ?? 0) + 1;
        return next(args);
      },
      { step: 'finalizeRequest', name: `countRequests-${service}` },
    );
    if (service === 'dynamo') countWriteUnits(client, counts);
  }
  return counts;
}

const WRITES = /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem|TransactWriteItems|Put|Update|Delete)Command$/;

interface Capacity {
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/**
 * Write units as DynamoDB bills them, table and indexes apart: every write asks for
 * `ReturnConsumedCapacity: INDEXES` and the answer is summed. DynamoDB Local reports a transaction
 * at four units per item of under 1 KB where AWS documents two (and its index writes likewise
 * doubled), so transactional figures are halved here; plain writes are taken as reported.
 */
function countWriteUnits(client: S3Client, counts: RequestCounts) {
  counts['dynamo.wcu.table'] = 0;
  counts['dynamo.wcu.index'] = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      if (!WRITES.test(command)) return next(args);
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      const reported = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      const factor = command.startsWith('TransactWrite') ? 0.5 : 1;
      for (const capacity of [reported ?? []].flat()) {
        const indexes = [capacity.GlobalSecondaryIndexes, capacity.LocalSecondaryIndexes]
          .flatMap((group) => Object.values(group ?? {}))
          .reduce((sum, index) => sum + (index.CapacityUnits ?? 0), 0);
        const table = capacity.Table?.CapacityUnits ?? (capacity.CapacityUnits ?? 0) - indexes;
        counts['dynamo.wcu.table'] = (counts['dynamo.wcu.table'] ?? 0) + table * factor;
        counts['dynamo.wcu.index'] = (counts['dynamo.wcu.index'] ?? 0) + indexes * factor;
      }
      return result;
    },
    { step: 'initialize', name: 'countWriteUnits' },
  );
}

export function perObject(counts: RequestCounts, objects: number): RequestCounts {
  return Object.fromEntries(Object.entries(counts).map(([s, n]) => [s, +(n / objects).toFixed(3)]));
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMb(): number {
  return +(process.resourceUsage().maxRSS / 1024).toFixed(1);
}
