import { describe, expect, it } from 'vitest';
import { findingLine } from '../../../../shared/audit/audit-finding.js';
import { eventChunkExpiry } from '../../../../shared/audit/expired-event-log.js';
import { ExpiredEventLogs } from '../../../../shared/audit/expired-event-logs.js';
import { verifyRun } from '../../../../shared/audit/verify-run.js';
import { EVENT_CHUNK_TTL_SECONDS } from '../../../../shared/events/watch-run-id.js';
import type { Run } from '../../../../shared/runs/run-store.js';
import type { RunTally } from '../../../../shared/runs/tally-shards.js';
import { hashLeaf } from '../../../../shared/tlog/merkle-hash.js';
import { verifyTlogProof } from '../../../../shared/tlog/tlog-proof.js';
import { encodeLeafEntry } from '../../../../shared/transparency/leaf-entry.js';
import { NoProofError, objectProof } from '../../../../shared/transparency/object-proof.js';
import { verifyTransparencyLog } from '../../../../shared/transparency/verify-transparency-log.js';
import {
  chunkIdOf,
  MemoryChunkTrail,
  RUN,
  recordOf,
  WRITTEN_AT,
} from '../../../helpers/memory-chunk-trail.js';
import { AUDIT_BUCKET, LOG_ORIGIN, MemoryLog } from '../../../helpers/memory-tlog.js';

const WATCH = 'watch-watched-2026-12-07';
const NOW = new Date(WRITTEN_AT.getTime() + EVENT_CHUNK_TTL_SECONDS * 1000 + 60_000);
const expiry = eventChunkExpiry(NOW);

const runsOf = (runId: string) => ({
  async *allRunIds() {
    yield runId;
  },
  async get(id: string) {
    return id === runId ? ({ runId, bucket: 'b', startedAt: WRITTEN_AT.toISOString() } as Run) : undefined;
  },
  async getWithTally(id: string) {
    const run = { runId: id, bucket: 'b', startedAt: WRITTEN_AT.toISOString() } as Run;
    return { run, tally: { records: 0, digest: '' } as RunTally };
  },
});

/**
 * `n` one-event chunks of `runId`, each one record about `k<i>`, committed and sequenced; then
 * the items of `expire` deleted, as DynamoDB's TTL does a day later.
 */
async function liveRun(n: number, expire: number[], runId = WATCH) {
  const trail = new MemoryChunkTrail(runId);
  const ids = Array.from({ length: n }, (_, i) => chunkIdOf(i + 1));
  for (const [i, id] of ids.entries()) trail.commitRecords(id, [{ ...recordOf(id, 0, `k${i + 1}`), runId }]);
  const log = new MemoryLog();
  await log.sequence(trail, ids);
  const expired = expire.map((i) => trail.items.get(ids[i - 1]!)!);
  for (const item of expired) trail.items.delete(item.chunkId);
  return { trail, log, ids, expired };
}

/** `audit verify --all` over one run: its trail pass hands the expired logs to the log's pass. */
async function verifyAll(trail: MemoryChunkTrail, log: MemoryLog) {
  const expired = new ExpiredEventLogs();
  const runs = runsOf(trail.runId);
  const run = await verifyRun({ source: trail, runs, expiry }, trail.runId, {
    onExpiredLog: ({ runId, key }) => expired.add(runId, key),
  });
  const tlog = await verifyTransparencyLog(
    {
      source: trail,
      runs,
      ...log.verifying,
      expired,
    },
    { now: NOW },
  );
  return {
    run,
    tlog,
    lines: [...run.findings, ...tlog.findings].map(findingLine),
    notes: run.notes.map(findingLine),
  };
}

describe('audit verify --all over expired event chunks', () => {
  it('accepts an expired chunk whose leaf names its log and bytes, and counts it', async () => {
    const { trail, log } = await liveRun(300, [1, 150, 300]);
    const result = await verifyAll(trail, log);
    expect(result.lines).toEqual([]);
    expect(result.notes).toEqual([]);
    expect(result.run).toMatchObject({ records: 300, expired: 3 });
    expect(result.tlog.chunks).toEqual({ committed: 297, inLog: 297, waiting: 0 });
    expect(result.tlog.leaves).toMatchObject({ leaves: 300, logsMatching: 300, expiredProven: 3 });
  });

  it('finds a forged item-less watch log that no leaf names, and a changed expired log', async () => {
    const { trail, log, expired } = await liveRun(4, [2]);
    const forged = chunkIdOf(0xf0);
    const key = trail.writeLog(forged, 1, [{ ...recordOf(forged, 0, 'k9'), runId: WATCH }]);
    trail.edit(expired[0]!.logKey!, (stored) => {
      stored.lines[0]!.record.decision = 'skipped';
    });
    const result = await verifyAll(trail, log);
    expect(result.lines).toEqual([
      `s3://b/k2: run ${WATCH} chunk ${expired[0]!.chunkId} position 0: changed: its line hash does not match its record`,
      `transparency log: leaf 1 (${expired[0]!.logKey}): changed: its chunk log's bytes no longer hash to the SHA-256 the leaf records`,
      `run ${WATCH} chunk ${forged}: log ${key}: inserted: no chunk item names it, and no leaf of the transparency log does (1 record(s))`,
    ]);
  });

  it('names a second leaf of the same expired log', async () => {
    const { trail, log, expired } = await liveRun(2, [1]);
    await log.append([
      encodeLeafEntry({ bucket: AUDIT_BUCKET, key: expired[0]!.logKey!, sha256: expired[0]!.logSha256! }),
    ]);
    expect((await verifyAll(trail, log)).lines).toEqual([
      `transparency log: leaf 2 (${expired[0]!.logKey}): inserted: the same chunk log as an earlier leaf (its chunk item expired)`,
    ]);
  });

  it('keeps a leaf with no item outside a watch run inserted, as before', async () => {
    const { trail, log, expired } = await liveRun(2, [1], RUN);
    const { chunkId, logKey } = expired[0]!;
    expect((await verifyAll(trail, log)).lines).toEqual([
      `run ${RUN} chunk ${chunkId}: log ${logKey}: inserted: no chunk item names it (1 record(s))`,
      `transparency log: leaf 0 (${logKey}): inserted: no chunk item of run ${RUN} chunk ${chunkId}`,
    ]);
  });
});

describe('audit proof of a decision in an expired event chunk', () => {
  const deps = (trail: MemoryChunkTrail, log: MemoryLog) => ({
    source: trail,
    runs: runsOf(WATCH),
    expiry,
    store: log.store,
    origin: LOG_ORIGIN,
    bucket: AUDIT_BUCKET,
    checkpoint: log.checkpoint!,
    verifier: log.verifier,
  });

  it('finds its leaf by its bytes, newest first, and proves it', async () => {
    const { trail, log, expired } = await liveRun(600, [10]);
    const searched: number[] = [];
    const proof = await objectProof(
      { ...deps(trail, log), onSearch: (p) => searched.push(p.leaves) },
      { bucket: 'b', key: 'k10' },
    );
    expect(proof).toMatchObject({ index: 9, size: 600, decision: { expired: true } });
    // Tiles of 88, 256 and 256 leaves, newest first; the leaf is in the oldest.
    expect(searched).toEqual([88, 344]);
    const entry = encodeLeafEntry({
      bucket: AUDIT_BUCKET,
      key: expired[0]!.logKey!,
      sha256: expired[0]!.logSha256!,
    });
    expect(verifyTlogProof(proof.text, hashLeaf(entry), [log.verifier], LOG_ORIGIN)).toMatchObject({
      index: 9,
    });
  });

  it('refuses an expired log no leaf names with its bytes', async () => {
    const { trail, log } = await liveRun(3, []);
    const forged = chunkIdOf(0xf0);
    trail.writeLog(forged, 1, [{ ...recordOf(forged, 0, 'k9'), runId: WATCH }]);
    await expect(objectProof(deps(trail, log), { bucket: 'b', key: 'k9' })).rejects.toThrow(
      new NoProofError(
        `s3://b/k9: its latest decision (encrypted at 2026-12-07T00:00:00.000Z, run ${WATCH} chunk ${forged}) is in a chunk log whose chunk item expired and that no leaf of the transparency log names with these bytes: run \`s3-seal audit verify --all\``,
      ),
    );
  });
});

describe('ExpiredEventLogs', () => {
  it('answers first, again or not expired for a key, and keeps about 8 bytes a log', () => {
    const logs = new ExpiredEventLogs();
    for (let i = 0; i < 100_000; i++) logs.add(`run-${i % 3}`, `audit/runs/x/chunks/${i}/0001.jsonl.gz`);
    expect(logs.claim('audit/runs/x/chunks/77/0001.jsonl.gz')).toBe('first');
    expect(logs.claim('audit/runs/x/chunks/77/0001.jsonl.gz')).toBe('again');
    expect(logs.claim('audit/runs/x/chunks/100000/0001.jsonl.gz')).toBeUndefined();
    expect(logs.unnamed().size).toBe(99_999);
    expect([...logs.runs]).toEqual(['run-0', 'run-1', 'run-2']);
    expect(() => logs.add('run-0', 'late')).toThrow(TypeError);
  });
});
