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
