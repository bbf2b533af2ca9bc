import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../../shared/chunks/canonical-json.js';
import type { Run } from '../../../../shared/runs/run-store.js';
import { hashLeaf } from '../../../../shared/tlog/merkle-hash.js';
import { parseTlogProof, verifyTlogProof } from '../../../../shared/tlog/tlog-proof.js';
import { encodeLeafEntry } from '../../../../shared/transparency/leaf-entry.js';
import { NoProofError, objectProof } from '../../../../shared/transparency/object-proof.js';
import { chunkIdOf, MemoryChunkTrail, RUN, recordOf } from '../../../helpers/memory-chunk-trail.js';
import { AUDIT_BUCKET, LOG_ORIGIN, MemoryLog } from '../../../helpers/memory-tlog.js';

const OTHER_RUN = '20261208T000000-bbbbbbbb';
const runsOver = (bucket: string) => ({
  async *allRunIds() {
    yield RUN;
    yield OTHER_RUN;
  },
  async get(runId: string) {
    // The other run is newer but over another bucket: it is never read.
    if (runId === OTHER_RUN) return { runId, bucket: 'other', startedAt: '2026-12-08T00:00:00Z' } as Run;
    return runId === RUN ? ({ runId, bucket, startedAt: '2026-12-07T00:00:00Z' } as Run) : undefined;
  },
});

/** Chunk A decides k1 and k2 at midnight, chunk B decides k1 again a minute later (version v2). */
async function decided() {
  const trail = new MemoryChunkTrail();
  const [A, B] = [chunkIdOf(0xa), chunkIdOf(0xb)];
  trail.commitRecords(A, [
    { ...recordOf(A, 0, 'k1'), versionIdAfter: 'v1' },
    { ...recordOf(A, 1, 'k2'), versionIdAfter: 'w1' },
  ]);
  trail.commitRecords(B, [
    { ...recordOf(B, 0, 'k0') },
    {
      ...recordOf(B, 1, 'k1'),
      decision: 'rewrapped',
      versionIdBefore: 'v1',
      versionIdAfter: 'v2',
      at: '2026-12-07T00:01:00.000Z',
    },
  ]);
  const log = new MemoryLog();
  await log.sequence(trail, [A, B]);
  return { trail, log, A, B };
}

const deps = (trail: MemoryChunkTrail, log: MemoryLog) => ({
  source: trail,
  runs: runsOver('b'),
  store: log.store,
  origin: LOG_ORIGIN,
  bucket: AUDIT_BUCKET,
  checkpoint: log.checkpoint!,
  verifier: log.verifier,
});

describe('objectProof', () => {
  it("proves the object's latest decision: a tlog-proof a third party checks from extra alone", async () => {
    const { trail, log, B } = await decided();
    const proof = await objectProof(deps(trail, log), { bucket: 'b', key: 'k1' });
    expect(proof).toMatchObject({ index: 1, size: 2 });
    expect(proof.decision.line.record).toMatchObject({ decision: 'rewrapped', chunkId: B, position: 1 });
    // The third party: the leaf entry is the canonical JSON of extra's bucket, key and sha256.
    const parsed = parseTlogProof(proof.text);
    const extra = JSON.parse(Buffer.from(parsed.extra!).toString('utf8'));
    expect(canonicalJson(extra)).toBe(Buffer.from(parsed.extra!).toString('utf8'));
    expect(extra).toEqual({
      bucket: AUDIT_BUCKET,
      key: trail.items.get(B)!.logKey,
      sha256: trail.items.get(B)!.logSha256,
      position: 1,
      recordHash: proof.decision.line.hash,
    });
    const entry = encodeLeafEntry({ bucket: extra.bucket, key: extra.key, sha256: extra.sha256 });
    expect(verifyTlogProof(proof.text, hashLeaf(entry), [log.verifier], LOG_ORIGIN)).toMatchObject({
      index: 1,
    });
    // The same proof does not pass for chunk A's leaf.
    const a = trail.items.get(chunkIdOf(0xa))!;
    const other = encodeLeafEntry({ bucket: AUDIT_BUCKET, key: a.logKey!, sha256: a.logSha256! });
    expect(() => verifyTlogProof(proof.text, hashLeaf(other), [log.verifier], LOG_ORIGIN)).toThrow(
      /inclusion proof/,
    );
  });

  it('with a version: the decision about that version', async () => {
    const { trail, log, A } = await decided();
    const proof = await objectProof(deps(trail, log), { bucket: 'b', key: 'k1', versionId: 'v1' });
    // v1 is the version B's decision found, and the one A's wrote: B's is the later.
    expect(proof.decision.item.chunkId).not.toBe(A);
    const w1 = await objectProof(deps(trail, log), { bucket: 'b', key: 'k2', versionId: 'w1' });
    expect(w1).toMatchObject({ index: 0, extra: { position: 1 } });
  });

  it('refuses an object never decided, one not sequenced yet, and one whose chunk log changed', async () => {
    const { trail, log } = await decided();
    await expect(objectProof(deps(trail, log), { bucket: 'b', key: 'nope' })).rejects.toThrow(
      new NoProofError(
        's3://b/nope: s3-seal recorded no decision about it (check the bucket, key and version)',
      ),
    );
    await expect(objectProof(deps(trail, log), { bucket: 'b', key: 'k1', versionId: 'v9' })).rejects.toThrow(
      /^s3:\/\/b\/k1 version v9: s3-seal recorded no decision/,
    );
    // Another bucket's run is not read, even when it is newer.
    await expect(
      objectProof({ ...deps(trail, log), runs: runsOver('c') }, { bucket: 'b', key: 'k1' }),
    ).rejects.toThrow(NoProofError);

    const C = chunkIdOf(0xc);
    trail.commitRecords(C, [{ ...recordOf(C, 0, 'k3') }]);
    await expect(objectProof(deps(trail, log), { bucket: 'b', key: 'k3' })).rejects.toThrow(
      `s3://b/k3: its latest decision (encrypted at 2026-12-07T00:00:00.000Z, run ${RUN} chunk ${C}) is not in the transparency log yet (not sequenced): the sequencer adds committed chunks within seconds, try again`,
    );
    trail.items.get(C)!.leafIndex = 2;
    await expect(objectProof(deps(trail, log), { bucket: 'b', key: 'k3' })).rejects.toThrow(
      /is not in the transparency log yet \(leaf 2, the checkpoint holds 2\)/,
    );

    trail.edit(trail.items.get(chunkIdOf(0xa))!.logKey!, (stored) => {
      stored.lines[1]!.record.decision = 'skipped';
    });
    await expect(objectProof(deps(trail, log), { bucket: 'b', key: 'k2' })).rejects.toThrow(
      /is in a chunk log that changed since it committed: run `s3-seal audit verify --all`$/,
    );
  });

  it('refuses to hand out a proof the tiles do not support', async () => {
    const { trail, log } = await decided();
    const tile = log.store.objects.get('tile/0/000.p/2')!;
    tile[0]! ^= 1;
    await expect(objectProof(deps(trail, log), { bucket: 'b', key: 'k1' })).rejects.toThrow(
      /^s3:\/\/b\/k1: leaf 1 does not prove from the log's tiles \(inclusion proof of leaf 1 does not lead to the root/,
    );
  });
});
