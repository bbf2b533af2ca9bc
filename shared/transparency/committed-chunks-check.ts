import { type AuditFinding, chunkSubject } from '../audit/audit-finding.js';
import { type ChunkSource, committedKeyOf } from '../audit/chunk-source.js';
import type { ChunkItem } from '../chunks/chunk-store.js';
import type { RunStore } from '../runs/run-store.js';
import { TlogFormatError } from '../tlog/errors.js';
import { decodeLeafEntry, type LeafEntry } from './leaf-entry.js';
import { type LeafReader, LeafSet } from './leaf-reader.js';

/**
 * How long a committed chunk may wait for its leaf before it is a problem: the sequencer adds
 * committed chunks within seconds on Lambda (docs/audit.md, "Transparency log"), so a chunk
 * committed less than this ago and not yet in the checkpoint is named as waiting, not as missing.
 */
export const SEQUENCER_GRACE_MS = 5 * 60_000;

export interface CommittedChunksCheck {
  /** Committed (DONE) chunk items seen, over every run. */
  chunks: number;
  /** Of those, the chunks whose leaf in the checkpoint names their log and its SHA-256. */
  inLog: number;
  /** Committed within the grace period and not yet in the checkpoint. */
  waiting: number;
  findings: AuditFinding[];
  /** The leaves a committed chunk named and matched: the other leaves name no committed chunk. */
  claimed: LeafSet;
}

export interface CommittedChunksDeps {
  source: ChunkSource;
  runs: Pick<RunStore, 'allRunIds'>;
}

/** The log as this check sees it: the audit bucket its leaves name, and its leaves by index. */
export interface LogLeaves {
  bucket: string;
  leaves: LeafReader;
}

const leafText = (leaf: LeafEntry) => `s3://${leaf.bucket}/${leaf.key} (sha256 ${leaf.sha256})`;

/**
 * Every committed chunk of every run is a leaf of the log (docs/audit.md, "Transparency log"): its
 * item's `leafIndex` is within the checkpoint and that leaf names the chunk's committed log and the
 * SHA-256 the chunk committed. Streams the chunk items run by run; memory is the leaf reader's few
 * bundles and one bit per leaf. A leaf that cannot be read is left to the log's own check, which
 * names its bundle.
 */
export async function checkCommittedChunks(
  deps: CommittedChunksDeps,
  log: LogLeaves,
  options: { now: Date; graceMs?: number },
): Promise<CommittedChunksCheck> {
  const grace = options.graceMs ?? SEQUENCER_GRACE_MS;
  const { size } = log.leaves;
  const result: CommittedChunksCheck = {
    chunks: 0,
    inLog: 0,
    waiting: 0,
    findings: [],
    claimed: new LeafSet(size),
  };
  for await (const runId of deps.runs.allRunIds()) {
    for await (const item of deps.source.listRun(runId)) {
      if (item.state !== 'DONE') continue;
      result.chunks += 1;
      const finding = await checkChunk(deps.source, log, item, result.claimed);
      if (finding === 'in log') result.inLog += 1;
      else if (finding === 'unreadable') continue;
      else if (Date.parse(item.updatedAt) > options.now.getTime() - grace && finding.pending)
        result.waiting += 1;
      else result.findings.push(finding.finding);
    }
  }
  return result;
}

type ChunkVerdict = 'in log' | 'unreadable' | { finding: AuditFinding; pending: boolean };

async function checkChunk(
  source: ChunkSource,
  log: LogLeaves,
  item: ChunkItem,
  claimed: LeafSet,
): Promise<ChunkVerdict> {
  const subject = chunkSubject(item.runId, item.chunkId);
  const index = item.leafIndex;
  const { size } = log.leaves;
  if (index === undefined)
    return {
      pending: true,
      finding: {
        subject,
        record: 'transparency log',
        problem: `missing: committed at ${item.updatedAt}, it is not a leaf of the log`,
      },
    };
  if (index >= size)
    return {
      pending: true,
      finding: {
        subject,
        record: `leaf ${index}`,
        problem: `missing: the checkpoint holds ${size} leaves (committed at ${item.updatedAt})`,
      },
    };
  const entry = await log.leaves.read(index);
  if (!entry) return 'unreadable';
  let leaf: LeafEntry;
  try {
    leaf = decodeLeafEntry(entry);
  } catch (error) {
    if (error instanceof TlogFormatError) return 'unreadable';
    throw error;
  }
  const key = committedKeyOf(source, item);
  if (leaf.bucket === log.bucket && leaf.key === key && leaf.sha256 === item.logSha256) {
    claimed.add(index);
    return 'in log';
  }
  const own = leafText({ bucket: log.bucket, key, sha256: item.logSha256 ?? 'none' });
  return {
    pending: false,
    finding: {
      subject,
      record: `leaf ${index}`,
      problem: `changed: the leaf names ${leafText(leaf)}, the chunk committed ${own}`,
    },
  };
}
