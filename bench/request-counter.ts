import type { S3Client } from '@aws-sdk/client-s3';

/**
 * Requests actually sent, counted by an SDK middleware (retries included): by service (`s3`) and
 * by service and operation (`s3.CopyObject`), which the cost model needs.
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
  }
  return counts;
}

export function perObject(counts: RequestCounts, objects: number): RequestCounts {
  return Object.fromEntries(Object.entries(counts).map(([s, n]) => [s, +(n / objects).toFixed(3)]));
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMb(): number {
  return +(process.resourceUsage().maxRSS / 1024).toFixed(1);
}
