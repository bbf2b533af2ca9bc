import { type ChunkSource, logsWithItems } from '../audit/chunk-source.js';
import { type EventChunkExpiry, expiredItemOf } from '../audit/expired-event-log.js';
import type { ChunkLogLine, ReadChunkLog } from '../chunks/chunk-log-types.js';
import type { ChunkItem } from '../chunks/chunk-store.js';
import type { RunStore } from '../runs/run-store.js';

/** One object (a version of it, when given) as `audit proof` names it. */
export interface ObjectRef {
  bucket: string;
  key: string;
  versionId?: string;
}

/**
 * A committed record about the object, with the chunk that committed it and its log as read. An
 * expired event chunk's (`expired`) has no item left: `item` is what its log says of itself
 * (expiredItemOf), without the `leafIndex` the item carried.
 */
export interface Decision {
  line: ChunkLogLine;
  item: ChunkItem;
  log: ReadChunkLog;
  expired: boolean;
}

export interface DecisionDeps {
  source: ChunkSource;
  runs: Pick<RunStore, 'allRunIds' | 'get'>;
  /** When an item-less watch-run log is an expired event chunk (default: now and the TTL). */
  expiry?: EventChunkExpiry;
}

const concerns = (line: ChunkLogLine, object: ObjectRef) => {
  const { record } = line;
  if (record.bucket !== object.bucket || record.key !== object.key) return false;
  return (
    object.versionId === undefined ||
    record.versionIdBefore === object.versionId ||
    record.versionIdAfter === object.versionId
  );
};

/**
 * The object's latest committed decision (docs/audit.md, "Transparency log"): the runs over its
 * bucket (or over every bucket), newest first by start; in the first run that decided it, its
 * record with the latest time. Reads committed chunk logs only (an expired event chunk's counts),
 * one at a time, as `audit export --bucket` does; an abandoned attempt's log is no decision.
 * Undefined: never decided.
 */
export async function latestDecision(deps: DecisionDeps, object: ObjectRef): Promise<Decision | undefined> {
  const runs: { runId: string; startedAt: string }[] = [];
  for await (const runId of deps.runs.allRunIds()) {
    const run = await deps.runs.get(runId);
    if (run && (run.bucket === object.bucket || run.bucket === '*'))
      runs.push({ runId, startedAt: run.startedAt });
  }
  runs.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  for (const { runId } of runs) {
    let latest: Decision | undefined;
    for await (const { log, item, committed, expired } of logsWithItems(deps.source, runId, deps.expiry)) {
      const counts = (committed && item) || expired === 'committed';
      if (!counts) continue;
      const read = await deps.source.readLog(log.key);
      if (!read) continue;
      const chunk = item ?? expiredItemOf(runId, log, read);
      for (const line of read.lines) {
        if (!concerns(line, object)) continue;
        if (!latest || line.record.at >= latest.line.record.at)
          latest = { line, item: chunk, log: read, expired: !item };
      }
    }
    if (latest) return latest;
  }
  return undefined;
}
