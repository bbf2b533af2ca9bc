/**
 * Sums a request trace (S3SEAL_BENCH_TRACE, bench/request-trace.ts) by operation, target and
 * caller, busiest first: where every request of a run went.
 *   node --import tsx bench/trace-summary.ts FILE [SERVICE]
 */
import { readFileSync } from 'node:fs';
import type { TracedRequest } from './request-trace.js';

const [file, service] = process.argv.slice(2);
const groups = new Map<string, number>();
for (const line of readFileSync(file!, 'utf8').split('\n')) {
  if (!line) continue;
  const request = JSON.parse(line) as TracedRequest;
  if (service && !request.op.startsWith(`${service}.`)) continue;
  const key = `${request.op}\t${request.target}\t${request.caller}`;
  groups.set(key, (groups.get(key) ?? 0) + 1);
}
for (const [key, n] of [...groups].sort(([, a], [, b]) => b - a))
  console.log(`${String(n).padStart(6)}  ${key}`);
