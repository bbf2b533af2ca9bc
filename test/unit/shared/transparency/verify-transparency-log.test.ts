import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findingLine } from '../../../../shared/audit/audit-finding.js';
import { rememberingLogHashes } from '../../../../shared/audit/remembered-log-hashes.js';
import { LocalNoteSigner } from '../../../../shared/tlog/note-signer.js';
import { buildTiles } from '../../../../shared/tlog/tile-builder.js';
import { MemoryTileStore } from '../../../../shared/tlog/tile-store.js';
import { SEQUENCER_GRACE_MS } from '../../../../shared/transparency/committed-chunks-check.js';
import { encodeLeafEntry } from '../../../../shared/transparency/leaf-entry.js';
import { verifyTransparencyLog } from '../../../../shared/transparency/verify-transparency-log.js';
import { chunkIdOf, MemoryChunkTrail, RUN } from '../../../helpers/memory-chunk-trail.js';
import { AUDIT_BUCKET, LOG_ORIGIN, MemoryLog } from '../../../helpers/memory-tlog.js';

const runs = {
  async *allRunIds() {
    yield RUN;
  },
};
// Chunk items in the memory trail are committed at 2026-12-07T00:00:00Z.
const COMMITTED = Date.parse('2026-12-07T00:00:00.000Z');
const LATER = new Date(COMMITTED + SEQUENCER_GRACE_MS + 1);

/** A trail of `n` committed chunks (one record each), all sequenced into a log. */
async function sequenced(n: number) {
  const trail = new MemoryChunkTrail();
  const ids = Array.from({ length: n }, (_, i) => chunkIdOf(i + 1));
  for (const id of ids) trail.commit(id, 1);
  const log = new MemoryLog();
  await log.sequence(trail, ids);
  return { trail, log, ids };
}

async function verify(
  trail: MemoryChunkTrail,
  log: MemoryLog,
  options: Parameters<typeof verifyTransparencyLog>[1] = {},
) {
  const result = await verifyTransparencyLog(
    {
      source: trail,
      runs,
      ...log.verifying,
    },
    { now: LATER, ...options },
  );
  return { ...result, lines: result.findings.map(findingLine) };
}

const leafOf = (trail: MemoryChunkTrail, id: string) => {
  const item = trail.items.get(id)!;
  return encodeLeafEntry({ bucket: AUDIT_BUCKET, key: item.logKey!, sha256: item.logSha256! });
};

describe('verifyTransparencyLog', () => {
  it('passes a log whose leaves are exactly the committed chunks, over several bundles', async () => {
    const { trail, log } = await sequenced(300);
    const gets: string[] = [];
    const get = trail.get.bind(trail);
    trail.get = (ref) => {
      gets.push(ref.chunkId);
      return get(ref);
    };
    const result = await verify(trail, log);
    expect(result.lines).toEqual([]);
    // Leaves the chunks' own pass matched cost no chunk item read; every chunk log is read once.
    expect(gets).toEqual([]);
    expect(trail.reads).toHaveLength(300);
    expect(result.chunks).toEqual({ committed: 300, inLog: 300, waiting: 0 });
    expect(result.leaves).toMatchObject({
      leaves: 300,
      logsMatching: 300,
      logsRead: 300,
      complete: true,
      bundles: 2,
    });
    expect(result.tree?.size).toBe(300);
  });

  it('counts a chunk committed within the grace period as waiting, and names it once it is older', async () => {
    const { trail, log } = await sequenced(3);
    const late = trail.commit(chunkIdOf(0x99), 2);
    const waiting = await verify(trail, log, { now: new Date(COMMITTED + 1000) });
    expect(waiting.lines).toEqual([]);
    expect(waiting.chunks).toEqual({ committed: 4, inLog: 3, waiting: 1 });
    const missing = await verify(trail, log);
    expect(missing.lines).toEqual([
      `run ${RUN} chunk ${late.chunkId}: transparency log: missing: committed at ${late.updatedAt}, it is not a leaf of the log`,
    ]);
    // A leaf index the checkpoint does not reach yet: the sequencer crashed before the checkpoint.
    trail.items.get(late.chunkId)!.leafIndex = 3;
    expect((await verify(trail, log)).lines).toEqual([
      `run ${RUN} chunk ${late.chunkId}: leaf 3: missing: the checkpoint holds 3 leaves (committed at ${late.updatedAt})`,
    ]);
  });

  it('names a changed chunk log, a deleted one and a chunk whose SHA-256 its leaf does not record', async () => {
    const { trail, log, ids } = await sequenced(5);
    const [a, b, c] = ids.map((id) => trail.items.get(id)!) as [
      ReturnType<typeof trail.commit>,
      ReturnType<typeof trail.commit>,
      ReturnType<typeof trail.commit>,
    ];
    trail.edit(a.logKey!, (stored) => {
      stored.lines[0]!.record.decision = 'skipped';
    });
    trail.logs.delete(b.logKey!);
    const leafSha = c.logSha256!;
    c.logSha256 = 'f'.repeat(64);
    expect((await verify(trail, log)).lines).toEqual([
      `run ${RUN} chunk ${c.chunkId}: leaf 2: changed: the leaf names s3://${AUDIT_BUCKET}/${c.logKey} (sha256 ${leafSha}), the chunk committed s3://${AUDIT_BUCKET}/${c.logKey} (sha256 ${'f'.repeat(64)})`,
      `transparency log: leaf 0 (${a.logKey}): changed: its chunk log's bytes no longer hash to the SHA-256 the leaf records`,
      `transparency log: leaf 1 (${b.logKey}): removed: its chunk log is gone`,
    ]);
  });

  it('reads no log again whose hash the trail pass remembered, and still names a changed or removed one', async () => {
    const { trail, log, ids } = await sequenced(5);
    const [a, b] = ids.map((id) => trail.items.get(id)!) as [
      ReturnType<typeof trail.commit>,
      ReturnType<typeof trail.commit>,
    ];
    trail.edit(a.logKey!, (stored) => {
      stored.lines[0]!.record.decision = 'skipped';
    });
    // The trail pass reads every log there is (b's is gone by then) through the remembering source.
    trail.logs.delete(b.logKey!);
    const remembered = rememberingLogHashes(trail);
    for (const item of trail.items.values()) await remembered.source.readLog(item.logKey!);
    expect(remembered.hashes.size).toBe(4);
    const reads: string[] = [];
    const readLog = trail.readLog.bind(trail);
    trail.readLog = (key) => {
      reads.push(key);
      return readLog(key);
    };
    const result = await verifyTransparencyLog(
      { source: trail, runs, ...log.verifying, knownHashes: remembered.hashes },
      { now: LATER },
    );
    // Only the log the trail pass could not read is read here (and found gone).
    expect(reads).toEqual([b.logKey]);
    expect(result.leaves).toMatchObject({ leaves: 5, logsMatching: 3, logsRead: 1 });
    expect(result.findings.map(findingLine)).toEqual([
      `transparency log: leaf 0 (${a.logKey}): changed: its chunk log's bytes no longer hash to the SHA-256 the leaf records`,
      `transparency log: leaf 1 (${b.logKey}): removed: its chunk log is gone`,
    ]);
  });

  it('names a leaf appended twice, a leaf of an uncommitted chunk and a leaf of another bucket', async () => {
    const { trail, log, ids } = await sequenced(4);
    trail.writeLog(chunkIdOf(0x77), 1, []);
    trail.claim(chunkIdOf(0x77), 1);
    const open = trail.logKey(RUN, chunkIdOf(0x77), 1);
    const openSha = (await trail.readLog(open))!.sha256;
    await log.append([
      leafOf(trail, ids[1]!),
      encodeLeafEntry({ bucket: AUDIT_BUCKET, key: open, sha256: openSha }),
      encodeLeafEntry({ bucket: 'elsewhere', key: open, sha256: openSha }),
    ]);
    const result = await verify(trail, log);
    expect(result.lines).toEqual([
      `transparency log: leaf 4 (${trail.items.get(ids[1]!)!.logKey}): inserted: the same chunk log as leaf 1`,
      `transparency log: leaf 5 (${open}): inserted: run ${RUN} chunk ${chunkIdOf(0x77)} is IN_PROGRESS, not committed`,
      `transparency log: leaf 6 (${open}): inserted: it names bucket elsewhere, not the audit bucket ${AUDIT_BUCKET}`,
    ]);
    expect(result.chunks.inLog).toBe(4);
  });

  it('stops at a checkpoint that does not verify, and names a tampered bundle', async () => {
    const { trail, log } = await sequenced(10);
    const other = new LocalNoteSigner(
      LOG_ORIGIN,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    );
    const forged = Object.assign(new MemoryLog(), { store: log.store, verifier: log.verifier });
    forged.checkpoint = await log.sign(log.tree, other);
    expect((await verify(trail, forged)).lines).toEqual([
      'transparency log: checkpoint: changed: the note carries no signature from a trusted key',
    ]);

    const bundle = log.store.objects.get('tile/entries/000.p/10')!;
    bundle[bundle.length - 3]! ^= 1;
    const result = await verify(trail, log);
    expect(result.lines).toEqual(
      [
        'transparency log: tiles: entry 9 (tile/entries/000.p/10) does not hash to its leaf in tile/0/000.p/10',
        // The chunk's own side reads the altered leaf too.
        expect.stringMatching(
          new RegExp(`^run ${RUN} chunk ${chunkIdOf(10)}: leaf 9: changed: the leaf names`),
        ),
      ].sort(),
    );
    expect(result.leaves?.complete).toBe(false);
  });

  it('with a saved checkpoint: passes growth, names truncation and a rewritten history', async () => {
    const { trail, log, ids } = await sequenced(20);
    const saved = { ...log.tree };
    for (let i = 21; i <= 30; i++) trail.commit(chunkIdOf(i), 1);
    await log.sequence(
      trail,
      Array.from({ length: 10 }, (_, i) => chunkIdOf(21 + i)),
    );
    const grown = await verify(trail, log, { saved });
    expect(grown.lines).toEqual([]);
    expect(grown.grewFrom).toBe(20);

    expect((await verify(trail, log, { saved: { size: 31, rootHash: log.tree.rootHash } })).lines).toEqual([
      'transparency log: checkpoint: truncated: the saved checkpoint holds 31 leaves, the log now 30',
    ]);

    // A fork: the same first 20 chunks in another order give a tree of 20 with another root.
    const fork = await buildTiles(
      new MemoryTileStore(),
      0,
      [...ids].reverse().map((id) => leafOf(trail, id)),
    );
    const rewritten = await verify(trail, log, { saved: { size: 20, rootHash: fork.rootHash } });
    expect(rewritten.lines).toEqual([
      expect.stringMatching(
        /^transparency log: checkpoint: rewritten: the log of 30 leaves does not extend the saved checkpoint of 20 \(consistency proof from size 20 to 30: .*\)$/,
      ),
    ]);
    const same = await verify(trail, log, { saved: { size: 30, rootHash: fork.rootHash } });
    expect(same.lines).toEqual([
      expect.stringMatching(
        /^transparency log: checkpoint: rewritten: the saved checkpoint of 30 leaves has root /,
      ),
    ]);
  });

  it('without a checkpoint: every committed chunk waits or is missing, and a saved checkpoint says truncated', async () => {
    const trail = new MemoryChunkTrail();
    trail.commit(chunkIdOf(1), 1);
    const empty = new MemoryLog();
    const result = await verify(trail, empty, { now: new Date(COMMITTED) });
    expect(result).toMatchObject({ lines: [], chunks: { committed: 1, inLog: 0, waiting: 1 } });
    expect(result.tree).toBeUndefined();
    const { log } = await sequenced(2);
    expect((await verify(trail, empty, { now: new Date(COMMITTED), saved: log.tree })).lines).toEqual([
      'transparency log: checkpoint: truncated: the saved checkpoint holds 2 leaves, the log now 0',
    ]);
  });
});
