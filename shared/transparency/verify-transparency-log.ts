import type { AuditFinding } from '../audit/audit-finding.js';
import type { ExpiredEventLogs } from '../audit/expired-event-logs.js';
import type { LogHashes } from '../audit/remembered-log-hashes.js';
import type { Checkpoint } from '../tlog/checkpoint.js';
import { TlogError } from '../tlog/errors.js';
import { EMPTY_TREE_HASH } from '../tlog/merkle-hash.js';
import { openCheckpoint } from '../tlog/signed-checkpoint.js';
import type { TileStore } from '../tlog/tile-store.js';
import type { NoteVerifier } from '../tlog/verifier-key.js';
import { type CommittedChunksDeps, checkCommittedChunks } from './committed-chunks-check.js';
import { LeafReader } from './leaf-reader.js';
import { checkGrowth } from './log-growth.js';
import { checkLogLeaves, type LogLeavesCheck } from './log-leaves-check.js';
import { unprovenExpiredLogs } from './unproven-expired-logs.js';

type Tree = Pick<Checkpoint, 'size' | 'rootHash'>;

export interface TransparencyLogDeps extends CommittedChunksDeps {
  store: TileStore;
  origin: string;
  /** The audit bucket, which every leaf names. */
  bucket: string;
  /** The current signed checkpoint note, undefined when there is none. */
  checkpoint: string | undefined;
  /** The log's key; needed when there is a checkpoint or a saved one. */
  verifier?: NoteVerifier;
  /** Expired event chunks' logs the trail pass found (verifyWholeTrail): each needs a leaf. */
  expired?: ExpiredEventLogs;
  /** The SHA-256 of the logs the trail pass read (rememberingLogHashes): not read again. */
  knownHashes?: Pick<LogHashes, 'get'>;
}

export interface TransparencyLogVerification {
  /** The checkpoint checked, when there was one and its signature verified. */
  tree?: Tree;
  /** Committed chunks seen; in the log; waiting for the sequencer (within the grace period). */
  chunks: { committed: number; inLog: number; waiting: number };
  /** What the log's own check read, when the checkpoint verified. */
  leaves?: Omit<LogLeavesCheck, 'findings'>;
  /** The size of the saved checkpoint the log was shown to extend (--since), when it does. */
  grewFrom?: number;
  findings: AuditFinding[];
}

/**
 * `audit verify --all`'s transparency log part (docs/audit.md, "Transparency log"): the checkpoint's
 * signature; with a saved checkpoint, that the log only grew since; every committed chunk is a leaf
 * naming its log and SHA-256; every tile and bundle hashes to the signed root, every leaf's chunk
 * log hashes as recorded, and every leaf names a committed chunk, once. Streams: bounded memory.
 */
export async function verifyTransparencyLog(
  deps: TransparencyLogDeps,
  options: { saved?: Tree; now?: Date; graceMs?: number } = {},
): Promise<TransparencyLogVerification> {
  const now = options.now ?? new Date();
  const findings: AuditFinding[] = [];
  const result: TransparencyLogVerification = { chunks: { committed: 0, inLog: 0, waiting: 0 }, findings };
  let tree: Tree = { size: 0, rootHash: EMPTY_TREE_HASH };
  if (deps.checkpoint !== undefined) {
    if (!deps.verifier) throw new TypeError('a checkpoint is checked with the log key');
    try {
      tree = openCheckpoint(deps.checkpoint, [deps.verifier], deps.origin);
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
      findings.push({
        subject: 'transparency log',
        record: 'checkpoint',
        problem: `changed: ${error.message}`,
      });
      return result;
    }
    result.tree = tree;
  }
  if (options.saved) {
    const grown = await checkGrowth(deps.store, tree, options.saved);
    if (grown) findings.push(grown);
    else result.grewFrom = options.saved.size;
  }
  const committed = await checkCommittedChunks(
    deps,
    { bucket: deps.bucket, leaves: new LeafReader(deps.store, tree.size) },
    { now, ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }) },
  );
  result.chunks = { committed: committed.chunks, inLog: committed.inLog, waiting: committed.waiting };
  findings.push(...committed.findings);
  if (result.tree) {
    const { findings: leafFindings, ...leaves } = await checkLogLeaves(
      deps.store,
      tree,
      {
        source: deps.source,
        bucket: deps.bucket,
        ...(deps.expired ? { expired: deps.expired } : {}),
        ...(deps.knownHashes ? { knownHashes: deps.knownHashes } : {}),
      },
      committed.claimed,
    );
    result.leaves = leaves;
    findings.push(...leafFindings);
  }
  // Every leaf was read (or there is no log yet): an expired log none of them named has no commit.
  const allRead = deps.checkpoint === undefined || result.leaves?.complete;
  if (deps.expired && allRead) findings.push(...(await unprovenExpiredLogs(deps.source, deps.expired)));
  return result;
}
