import type { AuditRecord } from '../audit/audit-record.js';

/**
 * Where the audit trail lives in S3 (docs/architecture.md, "Audit trail in S3"): the deployment names
 * the bucket (S3SEAL_AUDIT_BUCKET) and prefix (S3SEAL_AUDIT_PREFIX, ending in `/` or empty).
 */
export interface AuditLocation {
  bucket: string;
  prefix: string;
}

/** An audit record as a chunk log line holds it: which chunk, and its place there. */
export interface ChunkRecord extends AuditRecord {
  chunkId: string;
  /** 0-based position of the record in its chunk log (the intent's position in the chunk). */
  position: number;
}

/** One line of a chunk log: the record and SHA-256 of its canonical JSON (canonical-json.ts). */
export interface ChunkLogLine {
  record: ChunkRecord;
  hash: string;
}

/** What a written (or read) chunk log is: its object key and the SHA-256 of its stored (gzip) bytes. */
export interface StoredChunkLog {
  key: string;
  sha256: string;
  lines: ChunkLogLine[];
}

/** A chunk log as read back: what it stores, and each line or part that did not parse. */
export interface ReadChunkLog extends StoredChunkLog {
  problems: string[];
}

/** One object under a run's chunk logs, as the listing names it. */
export interface ListedChunkLog {
  key: string;
  chunkId: string;
  attempt: number;
  /** Set when the key is not `<chunkId>/<attempt>.jsonl.gz` (chunkId '' and attempt 0 then). */
  problem?: string;
  /**
   * S3's LastModified, from the listing: S3 sets it and nobody can backdate it (an expired event
   * chunk's log is older than its TTL).
   */
  lastModified?: Date;
}
