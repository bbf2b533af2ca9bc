import type { ChunkSource } from './chunk-source.js';

/**
 * Logs whose SHA-256 `audit verify --all` keeps between its two passes: about 200 bytes each (key
 * and hash), so at most about 100 MB; a trail with more logs has the rest read again.
 */
export const REMEMBERED_LOG_HASHES = 500_000;

/** The SHA-256 of a chunk log's bytes as an earlier pass read them, by the log's key. */
export interface LogHashes {
  get(key: string): string | undefined;
  readonly size: number;
}

/**
 * `source`, remembering the SHA-256 of every log it reads (up to `limit` logs; a missing log is not
 * remembered). `audit verify --all` reads every chunk log in its trail pass and then checks that
 * each transparency-log leaf's log still hashes as the leaf records: with these, that pass reads
 * only the logs the trail pass did not, instead of every log a second time (docs/audit.md).
 */
export function rememberingLogHashes(
  source: ChunkSource,
  limit = REMEMBERED_LOG_HASHES,
): { source: ChunkSource; hashes: LogHashes } {
  const hashes = new Map<string, string>();
  return {
    source: {
      listRun: (runId) => source.listRun(runId),
      get: (ref) => source.get(ref),
      listLogs: (runId) => source.listLogs(runId),
      logKey: (runId, chunkId, attempt) => source.logKey(runId, chunkId, attempt),
      async readLog(key) {
        const log = await source.readLog(key);
        if (log && hashes.size < limit) hashes.set(key, log.sha256);
        return log;
      },
    },
    hashes,
  };
}
