import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD_KEYS } from '../../cli/seed-bucket.js';
import { decodeEntryBundle } from '../../shared/tlog/entry-bundle.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { signCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { buildTiles } from '../../shared/tlog/tile-builder.js';
import { MemoryTileStore } from '../../shared/tlog/tile-store.js';
import { runCli } from '../helpers/cli.js';
import { type LogDeploymentContext, setUpLogDeployment } from '../helpers/tlog-cli-log.js';
import { readObject, whileTampered } from '../helpers/tlog-s3.js';

// Tampering with a transparency log in LocalStack S3 (the 304-leaf log of test/helpers/
// tlog-cli-log.ts): a flipped byte in a tile, an entry bundle, a chunk log or the checkpoint, an
// older checkpoint put back, a re-signed rewritten history. `audit verify --all` names each one
// (exit 1); tessera's fsck, an independent checker, catches those it can see (tiles, bundles,
// checkpoint), judged by its output since it exits 0 either way. Each tamper is undone after.
let deployment: LogDeploymentContext;

beforeAll(async () => {
  deployment = await setUpLogDeployment('tlog-tamper');
}, 300_000);

afterAll(async () => {
  await deployment?.cleanup();
});

describe('tampering with the log, its chunk logs or its checkpoint', () => {
  const s3 = () => deployment.pipeline.clients.s3;
  const flip = (at: number) => (bytes: Buffer) => {
    bytes[at < 0 ? bytes.length + at : at]! ^= 1;
    return bytes;
  };
  /** audit verify --all's problems (stdout) and exit status, and fsck's verdict, while tampered. */
  const caught = async () => {
    const out = deployment.verifyAll('--since', deployment.older);
    return {
      status: out.status,
      problems: out.stdout.trim().split('\n'),
      fsck: (await deployment.fsck()).output,
    };
  };

  it('a flipped byte in a full tile: verify names the tile, fsck fails', async () => {
    const found = await whileTampered(
      s3(),
      deployment.logBucket,
      deployment.logKey('tile/0/000'),
      flip(100),
      caught,
    );
    expect(found.status).toBe(1);
    expect(found.problems).toContain(
      'transparency log: tiles: entry 3 (tile/entries/000) does not hash to its leaf in tile/0/000',
    );
    expect(found.fsck).toMatch(/fsck failed: failed: tile\/0\/000: log has:/);
  });

  it('a flipped byte in an entry bundle: verify names the entry, fsck fails', async () => {
    const found = await whileTampered(
      s3(),
      deployment.logBucket,
      deployment.logKey('tile/entries/001.p/48'),
      flip(40),
      caught,
    );
    expect(found.status).toBe(1);
    expect(found.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^transparency log: tiles: entry 256 \(tile\/entries\/001\.p\/48\) does not hash to its leaf in tile\/0\/001\.p\/48$/,
        ),
      ]),
    );
    expect(found.fsck).toMatch(/fsck failed: failed: tile\/0\/001\.p\/48: log has:/);
  });

  it("a flipped byte in a leaf's chunk log: verify names the leaf (and the trail its chunk); fsck reads no chunk log", async () => {
    const entries = (
      await readObject(s3(), deployment.logBucket, deployment.logKey('tile/entries/000'))
    ).subarray(2);
    const leaf = JSON.parse(entries.subarray(0, entries.indexOf(0x7d) + 1).toString('utf8'));
    const found = await whileTampered(s3(), leaf.bucket, leaf.key, flip(-5), caught);
    expect(found.status).toBe(1);
    expect(found.problems).toContain(
      `transparency log: leaf 0 (${leaf.key}): changed: its chunk log's bytes no longer hash to the SHA-256 the leaf records`,
    );
    expect(found.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/: changed: its bytes no longer hash to the SHA-256 the chunk committed$/),
      ]),
    );
    expect(found.fsck).toMatch(/Successfully fsck'd log with size 304/);
  });

  it('an altered checkpoint line: its signature fails for verify and fsck', async () => {
    const found = await whileTampered(
      s3(),
      deployment.logBucket,
      deployment.logKey('checkpoint'),
      (bytes) => bytes.toString('utf8').replace('\n304\n', '\n303\n'),
      caught,
    );
    expect(found.status).toBe(1);
    expect(found.problems).toEqual([
      `transparency log: checkpoint: changed: the signature of ${deployment.origin} on the note does not verify`,
    ]);
    expect(found.fsck).toMatch(/fsck failed: failed to fetch and verify checkpoint/);
  });

  it('an older checkpoint put back (truncation): --since names it; without it the missing leaves are named once past the grace period', async () => {
    const truncated = await whileTampered(
      s3(),
      deployment.logBucket,
      deployment.logKey('checkpoint'),
      () => readFileSync(deployment.older),
      async () => {
        const since = deployment.verifyAll('--since', deployment.newer);
        const waiting = deployment.verifyAll();
        const proof = runCli(['audit', 'proof', `s3://${deployment.bucket}/${AWKWARD_KEYS[0]}`]);
        // The second run's chunks, as if they had committed ten minutes ago.
        const later = await deployment.backdateChunksFrom(302);
        expect(later.chunks).toBe(2);
        try {
          return { since, waiting, proof, later: deployment.verifyAll() };
        } finally {
          await later.restore();
        }
      },
    );
    expect(truncated.since.status).toBe(1);
    expect(truncated.since.stdout).toBe(
      'transparency log: checkpoint: truncated: the saved checkpoint holds 304 leaves, the log now 302\n',
    );
    expect(truncated.waiting.status, truncated.waiting.stdout).toBe(0);
    expect(truncated.waiting.stderr).toContain(
      '302 of 304 committed chunk(s) are leaves, 2 committed in the last 5 minutes wait for the sequencer',
    );
    // The object's latest decision is at a leaf the put-back checkpoint does not hold.
    expect(truncated.proof.status).toBe(1);
    expect(truncated.proof.stderr).toMatch(
      new RegExp(
        `^s3-seal: error: s3://${deployment.bucket}/${AWKWARD_KEYS[0]}: its latest decision \\(encrypted at \\S+, run ${deployment.secondRun} chunk [0-9a-f]{24}\\) is not in the transparency log yet \\(leaf 30[23], the checkpoint holds 302\\): the sequencer adds committed chunks within seconds, try again\n$`,
      ),
    );
    expect(truncated.later.status).toBe(1);
    expect(truncated.later.stdout).toMatch(
      /^run \S+ chunk [0-9a-f]{24}: leaf 30[23]: missing: the checkpoint holds 302 leaves \(committed at \S+\)\n.*leaf 30[23]: missing/s,
    );
  });

  it('a checkpoint of the same size over other leaves, signed by the same key (rewritten history): verify and fsck', async () => {
    const leaves = decodeEntryBundle(
      await readObject(s3(), deployment.logBucket, deployment.logKey('tile/entries/000')),
    );
    const fork = await buildTiles(new MemoryTileStore(), 0, [
      ...leaves.slice(1),
      leaves[0]!,
      ...leaves.slice(0, 48),
    ]);
    const signer = await KmsNoteSigner.create(
      deployment.pipeline.clients.kms,
      deployment.pipeline.config.transparencyLog.keyId,
      deployment.origin,
    );
    const forged = await signCheckpoint({ origin: deployment.origin, size: 304, rootHash: fork.rootHash }, [
      signer,
    ]);
    const found = await whileTampered(
      s3(),
      deployment.logBucket,
      deployment.logKey('checkpoint'),
      () => forged,
      caught,
    );
    expect(found.status).toBe(1);
    expect(found.problems).toEqual([
      'transparency log: checkpoint: rewritten: the log of 304 leaves does not extend the saved checkpoint of 302 (consistency proof from size 302 to 304: it does not lead to the new root)',
      "transparency log: tiles: the tiles do not hash to the checkpoint's root for size 304",
    ]);
    expect(found.fsck).toMatch(/fsck failed/);
  });
});
