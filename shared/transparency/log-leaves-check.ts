import type { AuditFinding } from '../audit/audit-finding.js';
import { type ChunkSource, committedKeyOf } from '../audit/chunk-source.js';
import type { ExpiredEventLogs } from '../audit/expired-event-logs.js';
import type { LogHashes } from '../audit/remembered-log-hashes.js';
import type { Checkpoint } from '../tlog/checkpoint.js';
import { TlogError, TlogFormatError } from '../tlog/errors.js';
import { verifyLog } from '../tlog/log-verifier.js';
import type { TileStore } from '../tlog/tile-store.js';
import { decodeLeafEntry, type LeafEntry } from './leaf-entry.js';
import type { LeafSet } from './leaf-reader.js';

export interface LogLeavesCheck {
  /** Leaves read (all of them when `complete`). */
  leaves: number;
  /** Leaves whose chunk log is there and hashes to the leaf's SHA-256. */
  logsMatching: number;
  /** Chunk logs this pass read (the others' hashes came from `knownHashes`). */
  logsRead: number;
  /** Of those, leaves of expired event chunks (no chunk item left): the leaf is their commit record. */
  expiredProven: number;
  tiles: number;
  bundles: number;
  /** False when a tile or bundle failed: the leaves after it were not read. */
  complete: boolean;
  findings: AuditFinding[];
}

export interface LogLeavesDeps {
  source: ChunkSource;
  /** The audit bucket: every leaf names a chunk log there. */
  bucket: string;
  /** Expired event chunks' logs the trail pass found: a leaf naming one stands for its commit. */
  expired?: ExpiredEventLogs;
  /** The SHA-256 of logs the trail pass read: those are not read again. */
  knownHashes?: Pick<LogHashes, 'get'>;
}

/** Chunk logs read at once: about 2 KiB each (100 gzip records), so memory stays small. */
const LOGS_IN_FLIGHT = 16;

const SUBJECT = 'transparency log';
const CHUNK_LOG = /(?:^|\/)runs\/([^/]+)\/chunks\/([0-9a-f]{24})\/\d{4,}\.jsonl\.gz$/;

/**
 * The log's own check (docs/audit.md, "Transparency log"): every entry bundle and tile hashes up to
 * the checkpoint's root (`verifyLog`, one tile and its parent in memory at a time), and every leaf's
 * chunk log is there and hashes to the SHA-256 the leaf records. A leaf no committed chunk claimed
 * (`claimed`, from checkCommittedChunks) names no committed chunk, or a log already at another leaf.
 */
export async function checkLogLeaves(
  store: TileStore,
  checkpoint: Pick<Checkpoint, 'size' | 'rootHash'>,
  deps: LogLeavesDeps,
  claimed: LeafSet,
): Promise<LogLeavesCheck> {
  const result: LogLeavesCheck = {
    leaves: 0,
    logsMatching: 0,
    logsRead: 0,
    expiredProven: 0,
    tiles: 0,
    bundles: 0,
    complete: false,
    findings: [],
  };
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const start = (work: Promise<void>) => {
    const task = work.catch((error) => {
      failure ??= { error };
    });
    inFlight.add(task);
    task.finally(() => inFlight.delete(task));
  };
  try {
    const checked = await verifyLog(store, checkpoint, async (index, entry) => {
      result.leaves += 1;
      // In leaf order, before any await: the first leaf naming an expired log is the one it stands for.
      const expired = claimed.has(index) ? undefined : claimExpired(deps, entry);
      while (inFlight.size >= LOGS_IN_FLIGHT) await Promise.race(inFlight);
      start(checkLeaf(deps, index, entry, { claimed, expired }, result));
    });
    Object.assign(result, { tiles: checked.tiles, bundles: checked.bundles, complete: true });
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    result.findings.push({ subject: SUBJECT, record: 'tiles', problem: error.message });
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  result.findings.sort((a, b) => leafNumber(a) - leafNumber(b));
  return result;
}

const leafNumber = (finding: AuditFinding) => Number(/^leaf (\d+)/.exec(finding.record)?.[1] ?? -1);

/** Whether an unclaimed leaf names an expired event chunk's log, first or again (see ExpiredEventLogs.claim). */
function claimExpired(deps: LogLeavesDeps, entry: Uint8Array): 'first' | 'again' | undefined {
  if (!deps.expired?.count) return undefined;
  try {
    const leaf = decodeLeafEntry(entry);
    return leaf.bucket === deps.bucket ? deps.expired.claim(leaf.key) : undefined;
  } catch (error) {
    if (error instanceof TlogFormatError) return undefined;
    throw error;
  }
}

async function checkLeaf(
  deps: LogLeavesDeps,
  index: number,
  entry: Uint8Array,
  by: { claimed: LeafSet; expired: 'first' | 'again' | undefined },
  result: LogLeavesCheck,
): Promise<void> {
  const found = (record: string, problem: string) =>
    result.findings.push({ subject: SUBJECT, record, problem });
  let leaf: LeafEntry;
  try {
    leaf = decodeLeafEntry(entry);
  } catch (error) {
    if (!(error instanceof TlogFormatError)) throw error;
    found(`leaf ${index}`, `unreadable: ${error.message}`);
    return;
  }
  const record = `leaf ${index} (${leaf.key})`;
  if (leaf.bucket !== deps.bucket) {
    found(record, `inserted: it names bucket ${leaf.bucket}, not the audit bucket ${deps.bucket}`);
    return;
  }
  const sha256 = deps.knownHashes?.get(leaf.key) ?? (await readHash(deps, leaf.key, result));
  if (sha256 === undefined) found(record, 'removed: its chunk log is gone');
  else if (sha256 !== leaf.sha256)
    found(record, "changed: its chunk log's bytes no longer hash to the SHA-256 the leaf records");
  else {
    result.logsMatching += 1;
    if (by.expired === 'first') result.expiredProven += 1;
  }
  if (by.claimed.has(index) || by.expired === 'first') return;
  if (by.expired === 'again') {
    found(record, 'inserted: the same chunk log as an earlier leaf (its chunk item expired)');
    return;
  }
  const why = await unclaimedReason(deps.source, index, leaf);
  if (why) found(record, why);
}

/**
 * Why no committed chunk claimed this leaf, or undefined when its chunk claims it but disagrees
 * (checkCommittedChunks named that from the chunk's side).
 */
async function unclaimedReason(
  source: ChunkSource,
  index: number,
  leaf: LeafEntry,
): Promise<string | undefined> {
  const match = CHUNK_LOG.exec(leaf.key);
  if (!match) return 'inserted: it names no chunk log (runs/<run>/chunks/<chunk>/<attempt>.jsonl.gz)';
  const [, runId, chunkId] = match as unknown as [string, string, string];
  const item = await source.get({ runId, chunkId });
  if (!item) return `inserted: no chunk item of run ${runId} chunk ${chunkId}`;
  if (item.state !== 'DONE') return `inserted: run ${runId} chunk ${chunkId} is ${item.state}, not committed`;
  if (item.leafIndex === index) return undefined;
  if (committedKeyOf(source, item) !== leaf.key)
    return `inserted: run ${runId} chunk ${chunkId} committed another log (${committedKeyOf(source, item)})`;
  if (item.leafIndex !== undefined) return `inserted: the same chunk log as leaf ${item.leafIndex}`;
  return `inserted: run ${runId} chunk ${chunkId} names no leaf`;
}

async function readHash(
  deps: LogLeavesDeps,
  key: string,
  result: LogLeavesCheck,
): Promise<string | undefined> {
  result.logsRead += 1;
  return (await deps.source.readLog(key))?.sha256;
}
