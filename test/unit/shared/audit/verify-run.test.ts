import { describe, expect, it } from 'vitest';
import { findingLine } from '../../../../shared/audit/audit-finding.js';
import { verifyRun } from '../../../../shared/audit/verify-run.js';
import { lineHash } from '../../../../shared/chunks/chunk-log.js';
import { chunkIdOf, MemoryChunkTrail, RUN, recordOf, runsOf } from '../../../helpers/memory-chunk-trail.js';

const [A, B, C] = [chunkIdOf(0xa), chunkIdOf(0xb), chunkIdOf(0xc)];

/** Three committed chunks (3, 2 and 1 records), closed with the digest of their lines. */
function closedTrail() {
  const trail = new MemoryChunkTrail();
  trail.commit(A, 3);
  trail.commit(B, 2);
  trail.commit(C, 1);
  return { trail, closed: trail.closing() };
}

async function verify(trail: MemoryChunkTrail, closed = trail.closing(), tally = closed) {
  const result = await verifyRun({ source: trail, runs: runsOf(closed, tally) }, RUN);
  return { ...result, lines: result.findings.map(findingLine), notes: result.notes.map(findingLine) };
}

const log = (trail: MemoryChunkTrail, chunkId: string, attempt = 1) => trail.logKey(RUN, chunkId, attempt);
const logChanged = (trail: MemoryChunkTrail, chunkId: string) =>
  `run ${RUN} chunk ${chunkId}: log ${log(trail, chunkId)}: changed: its bytes no longer hash to the SHA-256 the chunk committed`;
const digestDiffers = (now: number, atClose: number) =>
  `run ${RUN}: digest: its records no longer match the digest it closed with (${now} records now, ${atClose} at close)`;

describe('verifyRun over chunk items and chunk logs', () => {
  it('passes a run whose every committed log is intact, and recomputes its closing digest', async () => {
    const { trail, closed } = closedTrail();
    const result = await verify(trail, closed);
    expect(result.lines).toEqual([]);
    expect(result).toMatchObject({ records: 6, objects: 6, chunks: 3, digest: 'matches', notes: [] });
    // One read per committed log, nothing else.
    expect(trail.reads.sort()).toEqual([log(trail, A), log(trail, B), log(trail, C)].sort());
  });

  it('says an open run is not closed, and checks its logs all the same', async () => {
    const { trail } = closedTrail();
    trail.logs.delete(log(trail, B));
    const result = await verifyRun({ source: trail, runs: runsOf(undefined) }, RUN);
    expect(result.digest).toBe('run not closed');
    expect(result.findings.map(findingLine)).toEqual([
      `run ${RUN} chunk ${B}: log ${log(trail, B)}: removed: the chunk is committed but its log is gone`,
    ]);
  });

  it('names a committed log that was deleted, and the digest it breaks', async () => {
    const { trail, closed } = closedTrail();
    trail.logs.delete(log(trail, A));
    const result = await verify(trail, closed);
    expect(result.lines).toEqual([
      `run ${RUN} chunk ${A}: log ${log(trail, A)}: removed: the chunk is committed but its log is gone`,
      digestDiffers(3, 6),
    ]);
    expect(result.digest).toBe('differs');
  });

  it('names a changed record by object and position: its line hash no longer matches', async () => {
    const { trail, closed } = closedTrail();
    trail.edit(log(trail, A), (l) => {
      l.lines[1]!.record.decision = 'skipped';
    });
    const result = await verify(trail, closed);
    expect(result.lines).toEqual([
      logChanged(trail, A),
      `s3://b/k/0a-1: run ${RUN} chunk ${A} position 1: changed: its line hash does not match its record`,
      digestDiffers(6, 6),
    ]);
  });

  it('names a log rewritten with consistent line hashes by its bytes and the digest', async () => {
    const { trail, closed } = closedTrail();
    trail.edit(log(trail, B), (l) => {
      const record = { ...l.lines[0]!.record, decision: 'compliant' as const };
      l.lines[0] = { record, hash: lineHash(record) };
    });
    expect((await verify(trail, closed)).lines).toEqual([logChanged(trail, B), digestDiffers(6, 6)]);
  });

  it('names lines missing from a committed log by position', async () => {
    const { trail, closed } = closedTrail();
    trail.edit(log(trail, A), (l) => {
      l.lines.splice(1, 1);
    });
    expect((await verify(trail, closed)).lines).toEqual([
      logChanged(trail, A),
      `run ${RUN} chunk ${A}: position 1: removed: missing from the log (the chunk committed 3 record(s), the log holds 2)`,
      digestDiffers(5, 6),
    ]);
  });

  it('names extra lines: a position taken twice, one beyond the committed count, a record of another chunk', async () => {
    const { trail, closed } = closedTrail();
    trail.edit(log(trail, B), (l) => {
      const twin = recordOf(B, 1, 'k/forged');
      const beyond = recordOf(B, 2, 'k/beyond');
      const moved = recordOf(C, 0, 'k/0c-0');
      l.lines.push(...[twin, beyond, moved].map((record) => ({ record, hash: lineHash(record) })));
    });
    expect((await verify(trail, closed)).lines).toEqual([
      logChanged(trail, B),
      `s3://b/k/0b-0: run ${RUN} chunk ${B} position 0: inserted: position 0 is taken 2 times`,
      `s3://b/k/0b-1: run ${RUN} chunk ${B} position 1: inserted: position 1 is taken 2 times`,
      `s3://b/k/forged: run ${RUN} chunk ${B} position 1: inserted: position 1 is taken 2 times`,
      `s3://b/k/beyond: run ${RUN} chunk ${B} position 2: inserted: beyond the 2 record(s) the chunk committed`,
      `s3://b/k/0c-0: run ${RUN} chunk ${B} position 0: inserted: the record names run ${RUN} chunk ${C}`,
      `s3://b/k/0c-0: run ${RUN} chunk ${B} position 0: inserted: position 0 is taken 2 times`,
      digestDiffers(9, 6),
    ]);
  });

  it("names a log's unreadable lines", async () => {
    const { trail, closed } = closedTrail();
    trail.edit(log(trail, C), (l) => {
      l.lines = [];
      l.problems.push('line 1: not JSON');
    });
    expect((await verify(trail, closed)).lines).toEqual([
      logChanged(trail, C),
      `run ${RUN} chunk ${C}: log ${log(trail, C)}: unreadable: line 1: not JSON`,
      `run ${RUN} chunk ${C}: position 0: removed: missing from the log (the chunk committed 1 record(s), the log holds 0)`,
      digestDiffers(5, 6),
    ]);
  });

  it('notes the logs of abandoned attempts without counting them or failing the run', async () => {
    const trail = new MemoryChunkTrail();
    trail.writeLog(A, 1, [recordOf(A, 0, 'k/first-try')]);
    trail.commit(A, 1, 2);
    trail.writeLog(B, 1, [recordOf(B, 0)]);
    trail.claim(B, 2, 'RETRY');
    trail.writeLog(C, 3, [recordOf(C, 0)]);
    trail.claim(C, 3, 'IN_PROGRESS');
    const result = await verify(trail);
    expect(result.lines).toEqual([]);
    expect(result.records).toBe(1);
    expect(result.digest).toBe('matches');
    expect(result.notes).toEqual([
      `run ${RUN} chunk ${A}: log ${log(trail, A, 1)}: abandoned attempt 1: not counted (the chunk committed attempt 2)`,
      `run ${RUN} chunk ${B}: log ${log(trail, B, 1)}: abandoned attempt 1: not counted (the chunk is RETRY at attempt 2)`,
      `run ${RUN} chunk ${C}: log ${log(trail, C, 3)}: abandoned attempt 3: not counted (the chunk is IN_PROGRESS at attempt 3)`,
    ]);
  });

  it('names inserted logs: no chunk item, past the committed attempt, an attempt never claimed, a stray name', async () => {
    const { trail, closed } = closedTrail();
    const D = chunkIdOf(0xd);
    trail.writeLog(D, 1, [recordOf(D, 0), recordOf(D, 1)]);
    trail.writeLog(A, 2, [recordOf(A, 0)]);
    const E = chunkIdOf(0xe);
    trail.claim(E, 1, 'RETRY');
    trail.writeLog(E, 4, [recordOf(E, 0)]);
    trail.logs.set(`audit/runs/${RUN}/chunks/notes.txt`, { lines: [], problems: [] });
    const result = await verify(trail, closed);
    expect(result.lines).toEqual([
      `run ${RUN} chunk ${A}: log ${log(trail, A, 2)}: inserted: the chunk committed attempt 1, not this log (1 record(s))`,
      `run ${RUN} chunk ${D}: log ${log(trail, D)}: inserted: no chunk item names it (2 record(s))`,
      `run ${RUN} chunk ${E}: log ${log(trail, E, 4)}: inserted: attempt 4 was never claimed (the chunk is RETRY at attempt 1) (1 record(s))`,
      `run ${RUN}: log audit/runs/${RUN}/chunks/notes.txt: inserted: not a chunk log name (<chunkId>/<attempt>.jsonl.gz) (0 record(s))`,
    ]);
    // Inserted logs are not the run's records: the digest still matches.
    expect(result.digest).toBe('matches');
  });

  it('names a DONE item that lost its log key, or names another log', async () => {
    const { trail, closed } = closedTrail();
    trail.items.get(A)!.logKey = undefined;
    trail.writeLog(B, 2, [recordOf(B, 0)]);
    trail.items.get(B)!.logKey = log(trail, B, 2);
    const result = await verify(trail, closed);
    expect(result.lines).toEqual([
      `run ${RUN} chunk ${A}: item: changed: committed without a log key`,
      `run ${RUN} chunk ${B}: item: changed: it names log ${log(trail, B, 2)}, not ${log(trail, B, 1)} of its committed attempt 1`,
      logChanged(trail, B).replace(log(trail, B), log(trail, B, 2)),
      `run ${RUN} chunk ${B}: position 1: removed: missing from the log (the chunk committed 2 record(s), the log holds 1)`,
      `run ${RUN} chunk ${B}: log ${log(trail, B, 1)}: inserted: the chunk committed attempt 1, not this log (2 record(s))`,
      digestDiffers(5, 6),
    ]);
  });

  it('reads a log under the audit prefix it was written with, after the deployment moved it', async () => {
    const { trail, closed } = closedTrail();
    const moved = log(trail, A).replace(/^audit\//, 'old-prefix/');
    trail.logs.set(moved, trail.logs.get(log(trail, A))!);
    trail.logs.delete(log(trail, A));
    trail.items.get(A)!.logKey = moved;
    const result = await verify(trail, closed);
    expect(result.lines).toEqual([]);
    expect(result.digest).toBe('matches');
    // A log key outside any run path is still named.
    trail.items.get(A)!.logKey = 'old-prefix/elsewhere.jsonl.gz';
    expect((await verify(trail, closed)).lines[0]).toContain(
      'item: changed: it names log old-prefix/elsewhere',
    );
  });

  it("counts a bucket's own records in a run over every bucket, and checks the whole run", async () => {
    const { trail, closed } = closedTrail();
    const runs = runsOf(closed, closed);
    const other = await verifyRun({ source: trail, runs }, RUN, { countBucket: 'other' });
    expect(other).toMatchObject({ records: 0, objects: 0, chunks: 3, digest: 'matches', findings: [] });
    const own = await verifyRun({ source: trail, runs }, RUN, { countBucket: 'b' });
    expect(own).toMatchObject({ records: 6, objects: 6, digest: 'matches' });
  });

  it('names tally shards that no longer match the close', async () => {
    const { trail, closed } = closedTrail();
    const result = await verify(trail, closed, { digest: closed.digest, records: 7 });
    expect(result.lines).toEqual([
      `run ${RUN}: tally: its tally shards no longer match the digest and count it closed with (the shards count 7 record(s), 6 at close)`,
    ]);
    expect(result.digest).toBe('matches');
  });

  it('names a run that does not exist', async () => {
    const result = await verifyRun({ source: new MemoryChunkTrail(), runs: runsOf() }, 'nope');
    expect(result.findings.map(findingLine)).toEqual(['run nope: run: not found']);
  });
});
