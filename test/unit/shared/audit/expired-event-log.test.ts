import { describe, expect, it } from 'vitest';
import { findingLine } from '../../../../shared/audit/audit-finding.js';
import { eventChunkExpiry } from '../../../../shared/audit/expired-event-log.js';
import { runRecords } from '../../../../shared/audit/run-records.js';
import { verifyRun } from '../../../../shared/audit/verify-run.js';
import { EVENT_CHUNK_TTL_SECONDS } from '../../../../shared/events/watch-run-id.js';
import type { Run } from '../../../../shared/runs/run-store.js';
import type { RunTally } from '../../../../shared/runs/tally-shards.js';
import { chunkIdOf, MemoryChunkTrail, RUN, WRITTEN_AT } from '../../../helpers/memory-chunk-trail.js';

// Live enforcement's run of bucket `watched` on the day the memory trail writes its logs.
const WATCH = 'watch-watched-2026-12-07';
const [A, B] = [chunkIdOf(0xa), chunkIdOf(0xb)];
const TTL_MS = EVENT_CHUNK_TTL_SECONDS * 1000;
/** A day and a second after the logs were written: their items may have expired. */
const DAY_LATER = eventChunkExpiry(new Date(WRITTEN_AT.getTime() + TTL_MS + 1000));

/** A watch run never closes: its run record has no digest. */
const openRuns = {
  async getWithTally(runId: string) {
    const run = { runId, bucket: 'b', prefix: '', startedAt: WRITTEN_AT.toISOString(), watch: true };
    return { run: run as unknown as Run, tally: { records: 0, digest: '' } as RunTally };
  },
};

/** Two committed one-event chunks of `runId`; A's item then expires (DynamoDB's TTL deleted it). */
function expiredTrail(runId = WATCH) {
  const trail = new MemoryChunkTrail(runId);
  const a = trail.commit(A, 1);
  trail.commit(B, 1);
  trail.items.delete(A);
  return { trail, a };
}

async function verify(trail: MemoryChunkTrail, expiry = DAY_LATER) {
  const result = await verifyRun({ source: trail, runs: openRuns, expiry }, trail.runId);
  return { ...result, lines: result.findings.map(findingLine), noteLines: result.notes.map(findingLine) };
}

describe('verifyRun (audit verify --run, --bucket) over an expired event chunk', () => {
  it('is a note, not a finding: its log is checked line by line and its records counted', async () => {
    const { trail, a } = expiredTrail();
    const result = await verify(trail);
    expect(result.lines).toEqual([]);
    expect(result.noteLines).toEqual([
      `run ${WATCH} chunk ${A}: log ${a.logKey}: expired: its chunk item expired (live enforcement keeps it a day); audit verify --all checks it against the transparency log`,
    ]);
    expect(result).toMatchObject({ records: 2, objects: 2, chunks: 1, expired: 1, digest: 'run not closed' });
  });

  it('names a changed record of an expired log as it would a committed one', async () => {
    const { trail, a } = expiredTrail();
    trail.edit(a.logKey!, (log) => {
      log.lines[0]!.record.decision = 'skipped';
    });
    const result = await verify(trail);
    expect(result.lines).toEqual([
      `s3://b/k/0a-0: run ${WATCH} chunk ${A} position 0: changed: its line hash does not match its record`,
    ]);
  });

  it('keeps an item-less watch log younger than the TTL inserted: an item deleted early is tampering', async () => {
    const { trail, a } = expiredTrail();
    const young = eventChunkExpiry(new Date(WRITTEN_AT.getTime() + TTL_MS - 1000));
    const result = await verify(trail, young);
    expect(result.lines).toEqual([
      `run ${WATCH} chunk ${A}: log ${a.logKey}: inserted: no chunk item names it (1 record(s))`,
    ]);
    expect(result.noteLines).toEqual([]);
    expect(result.records).toBe(1);
  });

  it('keeps an old item-less log outside a watch run inserted: only event chunks expire', async () => {
    const { trail, a } = expiredTrail(RUN);
    expect((await verify(trail)).lines).toEqual([
      `run ${RUN} chunk ${A}: log ${a.logKey}: inserted: no chunk item names it (1 record(s))`,
    ]);
  });

  it('takes the last attempt of an expired chunk for its commit, and an earlier one for abandoned', async () => {
    const trail = new MemoryChunkTrail(WATCH);
    trail.commit(A, 1, 2);
    const first = trail.writeLog(A, 1, []);
    trail.items.delete(A);
    const result = await verify(trail);
    expect(result.lines).toEqual([]);
    expect(result.noteLines).toEqual([
      `run ${WATCH} chunk ${A}: log ${first}: abandoned attempt 1: not counted (its chunk item expired; a later attempt's log stands for the chunk)`,
      expect.stringContaining(`log ${trail.logKey(WATCH, A, 2)}: expired:`),
    ]);
    expect(result.records).toBe(1);
  });

  it("counts an expired chunk's records in the run's records (audit export, report)", async () => {
    const { trail } = expiredTrail();
    const keys = async (expiry = DAY_LATER) => {
      const out: string[] = [];
      for await (const record of runRecords(trail, WATCH, expiry))
        out.push(`${record.chunkId}:${record.key}`);
      return out;
    };
    expect(await keys()).toEqual([`${A}:k/0a-0`, `${B}:k/0b-0`]);
    // Before the TTL an item-less log is no record of the run.
    expect(await keys(eventChunkExpiry(WRITTEN_AT))).toEqual([`${B}:k/0b-0`]);
  });
});
