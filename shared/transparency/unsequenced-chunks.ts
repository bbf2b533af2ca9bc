import type { ChunkItem } from '../chunks/chunk-store.js';
import { logger } from '../logger.js';
import type { CommitFeed } from './commit-feed.js';
import { leafRequestOf } from './leaf-request.js';

/**
 * A run's chunk items as its close reads them (for its manifests), each committed chunk still
 * without a leaf handed to the feed on the way (docs/architecture.md, "Transparency log"): a
 * process that died after a commit and before its leaf was appended or sent lost nothing for good.
 * A chunk whose leaf is merely in flight is added again, which the sequencer drops as a duplicate.
 */
export async function* feedingUnsequenced(
  items: AsyncIterable<ChunkItem>,
  bucket: string,
  feed: CommitFeed,
): AsyncGenerator<ChunkItem> {
  for await (const item of items) {
    if (item.leafIndex === undefined) {
      const request = leafRequestOf(bucket, item);
      if (request) feed.add(request);
    }
    yield item;
  }
}

/**
 * Hands on what the close found. The run is closed whatever happens here: a failure is logged,
 * and `audit verify --all` names every committed chunk that is not a leaf.
 */
export async function flushAfterClose(feed: CommitFeed, runId: string): Promise<void> {
  try {
    await feed.flush();
  } catch (error) {
    logger.warn('transparency log: committed chunks not appended at the close of their run', {
      runId,
      error: (error as Error).message,
    });
  }
}
