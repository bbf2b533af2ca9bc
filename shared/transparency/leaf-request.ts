import * as z from 'zod';
import type { ChunkRef } from '../chunks/chunk-store.js';
import type { LeafEntry } from './leaf-entry.js';

/**
 * A committed chunk the sequencer is asked to append (docs/architecture.md, "Transparency log"):
 * which chunk item to mark with its leaf index, and the leaf its commit recorded.
 */
export interface LeafRequest extends ChunkRef {
  leaf: LeafEntry;
}

/** The sequencer queue's message body (Lambda): one committed chunk. */
export const LeafRequestSchema = z.object({
  runId: z.string().min(1),
  chunkId: z.string().regex(/^[0-9a-f]{8,}$/),
  leaf: z.object({
    bucket: z.string().min(3),
    key: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});

/** The leaf request of a committed chunk item, or undefined when it is not committed. */
export function leafRequestOf(
  bucket: string,
  item: ChunkRef & { state: string; logKey?: string; logSha256?: string },
): LeafRequest | undefined {
  if (item.state !== 'DONE' || !item.logKey || !item.logSha256) return undefined;
  return {
    runId: item.runId,
    chunkId: item.chunkId,
    leaf: { bucket, key: item.logKey, sha256: item.logSha256 },
  };
}
