import type { ChunkRecord } from '../chunks/chunk-log-types.js';
import type { RunStore } from '../runs/run-store.js';
import { type ChunkSource, logsWithItems } from './chunk-source.js';
import type { EventChunkExpiry } from './expired-event-log.js';

/**
 * A run's audit records (docs/architecture.md, "Audit trail in S3"): the lines of its committed
 * chunk logs only (an abandoned attempt's log is not the run's record), in chunk order then
 * position, one log in memory at a time whatever the run's size. An expired event chunk's log
 * (its item gone after a day, docs/audit.md "Expired event chunks") counts as committed. Reads,
 * never judges: a committed log that is gone or damaged, or an expired one no leaf names, is named
 * by `audit verify`, not here.
 */
export async function* runRecords(
  source: ChunkSource,
  runId: string,
  expiry?: EventChunkExpiry,
): AsyncGenerator<ChunkRecord> {
  for await (const { log, committed, expired } of logsWithItems(source, runId, expiry)) {
    if (!committed && expired !== 'committed') continue;
    const read = await source.readLog(log.key);
    if (read) yield* read.lines.map((line) => line.record).sort((a, b) => a.position - b.position);
  }
}

/**
 * Every record about objects in `bucket`: the committed records of each run over it (or over every
 * bucket), oldest run first. Runs are few; each run's logs are read one at a time.
 */
export async function* bucketRecords(
  source: ChunkSource,
  runs: Pick<RunStore, 'allRunIds' | 'get'>,
  bucket: string,
  expiry?: EventChunkExpiry,
): AsyncGenerator<ChunkRecord> {
  for await (const runId of runs.allRunIds()) {
    const run = await runs.get(runId);
    if (!run || (run.bucket !== bucket && run.bucket !== '*')) continue;
    for await (const record of runRecords(source, runId, expiry)) if (record.bucket === bucket) yield record;
  }
}
