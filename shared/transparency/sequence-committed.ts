import type { ChunkItem } from '../chunks/chunk-store.js';
import type { CommitFeed } from './commit-feed.js';
import { feedingUnsequenced } from './unsequenced-chunks.js';

export interface SequenceCommittedResult {
  runs: number;
  chunks: number;
  /** Committed chunks that had no leaf, handed to the feed. */
  added: number;
}

/**
 * `audit sequence`: every committed chunk of the given runs that has no leaf yet goes to the
 * transparency log (docs/audit.md, "Transparency log"): chunks committed before the log existed,
 * or whose leaf a failure at their run's close left unsent. The feed is flushed every 990 chunks, so
 * memory stays bounded; chunks already in the log are not sent again.
 */
export async function sequenceCommitted(
  deps: { chunkItems: (runId: string) => AsyncIterable<ChunkItem>; feed: CommitFeed; auditBucket: string },
  runIds: AsyncIterable<string> | Iterable<string>,
  onRun?: (runId: string, added: number) => void,
): Promise<SequenceCommittedResult> {
  const result: SequenceCommittedResult = { runs: 0, chunks: 0, added: 0 };
  let pending = 0;
  const counting: CommitFeed = {
    add: (request) => {
      pending++;
      result.added++;
      deps.feed.add(request);
    },
    afterBatch: () => deps.feed.afterBatch(),
    flush: () => deps.feed.flush(),
  };
  for await (const runId of runIds) {
    const before = result.added;
    for await (const _item of feedingUnsequenced(deps.chunkItems(runId), deps.auditBucket, counting)) {
      result.chunks++;
      if (pending >= 990) {
        await deps.feed.flush();
        pending = 0;
      }
    }
    result.runs++;
    onRun?.(runId, result.added - before);
  }
  await deps.feed.flush();
  return result;
}
