import type { ChunkLogLine } from '../chunks/chunk-log-types.js';

/** One chunk log object as the run's log listing names it. */
export interface ListedChunkLog {
  key: string;
  chunkId: string;
  attempt: number;
  /** Set when the object's name is not a chunk log's (`<chunkId>/<attempt>.jsonl.gz`). */
  problem?: string;
  /** S3's LastModified, from the listing: S3 sets it and nobody can backdate it. */
  lastModified?: Date;
}

/** A chunk log as read back: the SHA-256 of its stored bytes, its lines, and what did not parse. */
export interface ReadChunkLog {
  key: string;
  sha256: string;
  lines: ChunkLogLine[];
  problems: string[];
}
