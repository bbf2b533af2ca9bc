import { decodeChunkLog } from './chunk-log-codec.js';
import type { StoredChunkLog } from './chunk-log-types.js';

/** Compressed chunk log bytes one process keeps (about 1,600 chunks of 100 small records). */
export const LOG_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * The chunk logs this process wrote, by key, newest kept (docs/architecture.md, "Manifests"): a
 * run's close compacts its committed logs into manifests, and the process that wrote them (a local
 * run's driver above all) need not GET them back. A log key is written once (`If-None-Match: *`)
 * and only a PUT that S3 accepted is remembered, so the bytes kept are the bytes stored; they are
 * handed out only for the SHA-256 the chunk item committed to. Audit verification never reads
 * here: it reads S3.
 */
export class ChunkLogCache {
  private readonly logs = new Map<string, { sha256: string; body: Buffer }>();
  private bytes = 0;

  constructor(private readonly maxBytes = LOG_CACHE_BYTES) {}

  remember(key: string, sha256: string, body: Buffer): void {
    if (body.length > this.maxBytes) return;
    this.forget(key);
    this.logs.set(key, { sha256, body });
    this.bytes += body.length;
    // A Map iterates in insertion order: the oldest logs go first.
    for (const [oldest] of this.logs) {
      if (this.bytes <= this.maxBytes) break;
      this.forget(oldest);
    }
  }

  /** The log stored under `key`, parsed, if this process wrote it with these bytes. */
  recall(key: string, sha256: string): (StoredChunkLog & { problems: string[] }) | undefined {
    const kept = this.logs.get(key);
    if (!kept || kept.sha256 !== sha256) return undefined;
    return { key, sha256, ...decodeChunkLog(kept.body) };
  }

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  private forget(key: string): void {
    const kept = this.logs.get(key);
    if (!kept) return;
    this.logs.delete(key);
    this.bytes -= kept.body.length;
  }
}

let processCache: ChunkLogCache | undefined;

/** The logs of this process, shared by every handler and closer it runs. */
export function processChunkLogCache(): ChunkLogCache {
  processCache ??= new ChunkLogCache();
  return processCache;
}
