import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD_KEYS, seedBucket } from '../../cli/seed-bucket.js';
import { deploymentChunkSource } from '../../shared/audit/deployment-chunk-source.js';
import { chunkItemKey } from '../../shared/chunks/chunk-item-key.js';
import { decodeEntryBundle } from '../../shared/tlog/entry-bundle.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { signCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { buildTiles } from '../../shared/tlog/tile-builder.js';
import { MemoryTileStore } from '../../shared/tlog/tile-store.js';
import { parseTlogProof } from '../../shared/tlog/tlog-proof.js';
import { formatVerifierKey } from '../../shared/tlog/verifier-key.js';
import { encodeLeafEntry } from '../../shared/transparency/leaf-entry.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { writeSyntheticRun } from '../helpers/synthetic-chunks.js';
import { runTool } from '../helpers/tlog-directory.js';
import { buildTlogTools } from '../helpers/tlog-go.js';
import { readObject, sequenceCommitted, whileTampered } from '../helpers/tlog-s3.js';

// The transparency log's commands over a log in LocalStack S3, checked by independent tools:
// tessera's fsck reads the tiles over LocalStack's HTTP endpoint, the Go checker (x/mod/sumdb/tlog,
// transparency-dev/formats) checks `audit proof`'s output offline. Tables of its own: --all
// verifies every run in them.
const tables = `it-tlog-cli-${randomUUID().slice(0, 6)}`;
process.env.S3SEAL_LEDGER_TABLE = `${tables}-ledger`;
process.env.S3SEAL_AUDIT_TABLE = `${tables}-audit`;

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let tools: { checker: string; fsck: string };
let bucket: string;
let scratch: string;
let origin: string;
let logBucket: string;
let logPrefix: string;
let vkeyFile: string;
/** The checkpoint of 302 leaves saved before the second run, and of 304 after it. */
let older: string;
let newer: string;
let secondRun: string;

const file = (name: string, text: string | Uint8Array) => {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
};
const deployment = () => ({ ...pipeline, runs: pipeline.runs });
const logKey = (path: string) => `${logPrefix}${path}`;

// fsck exits 0 whatever it finds and can wait forever on a missing tile: 4 workers, a time limit,
// and the verdict read from its output (test/integration/tlog-interop.test.ts).
async function fsck() {
  const url = `${process.env.AWS_ENDPOINT_URL}/${logBucket}/${logPrefix}`;
  return runTool(
    tools.fsck,
    ['--storage_url', url, '--public_key', vkeyFile, '--ui=false', '--N', '4'],
    60_000,
  );
}

const verifyAll = (...args: string[]) => runCli(['audit', 'verify', '--all', ...args]);

beforeAll(async () => {
  tools = await buildTlogTools();
  scratch = mkdtempSync(join(tmpdir(), 'tlog-cli-'));
  pipeline = await startPipeline('tlog-cli');
  // The deployment's own signing key (setup made it: ensureAuditTrail in startPipeline).
  ({ origin, bucket: logBucket, prefix: logPrefix } = pipeline.config.transparencyLog);
  const signer = await KmsNoteSigner.create(
    pipeline.clients.kms,
    pipeline.config.transparencyLog.keyId,
    origin,
  );
  vkeyFile = file('vkey', formatVerifierKey(origin, signer.publicKeyDer));

  bucket = uniqueBucket('tlog-cli');
  await seedBucket(pipeline.clients.s3, bucket, { objects: 120, maxObjectBytes: 256 });
  // A local run appends its committed chunks before it closes: leaves 0 and 1.
  await pipeline.backfill(bucket, 'sse-kms', await createKmsKey(pipeline.clients.kms));
  // 300 more committed chunks, so the log has a full tile at level 0 and a level-1 tile: no
  // pipeline wrote them, so they are handed to the sequencer as a run's close hands on its chunks.
  await writeSyntheticRun(
    { ...pipeline, s3: pipeline.clients.s3, auditLocation: pipeline.config.auditLocation },
    { bucket: uniqueBucket('tlog-cli-syn'), chunks: 300, perChunk: 2 },
  );
  expect(await sequenceCommitted(deployment())).toEqual({ size: 302, appended: 300 });
  older = file('older', runCli(['audit', 'checkpoint']).stdout);
  // The real path end to end: `encrypt --local` re-keys every object under another key, and its
  // two chunks are leaves 302 and 303 by the time it exits.
  const key = await createKmsKey(pipeline.clients.kms);
  const encrypt = runCli([
    'encrypt',
    `s3://${bucket}`,
    '--mode',
    'sse-kms',
    '--key',
    key,
    '--local',
    '--no-progress',
  ]);
  expect(encrypt.status, encrypt.stderr).toBe(0);
  secondRun = (await pipeline.runs.recent(1))[0]!;
  expect(await sequenceCommitted(deployment())).toEqual({ size: 304, appended: 0 });
  newer = file('newer', runCli(['audit', 'checkpoint']).stdout);
}, 300_000);

afterAll(async () => {
  for (const TableName of [pipeline.config.ledgerTable, pipeline.config.auditTable])
    await pipeline.clients.dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('audit checkpoint, audit verify --all and fsck on a clean log', () => {
  it('prints the checkpoint as stored, and the log, its key and place as JSON', async () => {
    const stored = (await readObject(pipeline.clients.s3, logBucket, logKey('checkpoint'))).toString('utf8');
    const plain = runCli(['audit', 'checkpoint']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toBe(stored);
    expect(stored.split('\n').slice(0, 2)).toEqual([origin, '304']);
    expect(plain.stderr).toContain(
      `transparency log ${origin}: 304 leaves, checkpoint verified; tiles at s3://${logBucket}/${logPrefix}`,
    );

    const json = runCli(['audit', 'checkpoint', '--json']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      origin,
      bucket: logBucket,
      prefix: logPrefix,
      verifierKey: readFileSync(vkeyFile, 'utf8'),
      checkpoint: stored,
    });
  });

  it('verifies the whole trail and the log, and that it grew from the saved checkpoint', () => {
    const out = verifyAll('--since', older);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      'whole trail: 840 audit record(s) of 840 object(s) and 3 closed run(s) checked; no problems',
    );
    expect(out.stderr).toMatch(
      new RegExp(
        `transparency log ${origin}: 304 leaves, checkpoint verified \\(key ${origin}\\+[0-9a-f]{8}\\); its tiles and 2 entry bundle\\(s\\) hash to its root; 304 chunk log\\(s\\) hash as their leaves record; 304 of 304 committed chunk\\(s\\) are leaves; no problems`,
      ),
    );
    expect(out.stderr).toContain(
      `transparency log: it grew from 302 to 304 leaves since ${older} (consistency proof checked)`,
    );
  });

  it('passes tessera fsck over LocalStack S3', async () => {
    const run = await fsck();
    expect(run.output).toMatch(/Successfully fsck'd log with size 304 and root /);
    expect(run.output).not.toMatch(/fsck failed/);
  });
});

describe('audit proof', () => {
  const key = AWKWARD_KEYS[0]!; // a key with spaces

  it("proves the object's latest decision; the Go checker verifies it offline with the chunk log", async () => {
    const out = runCli(['audit', 'proof', `s3://${bucket}/${key}`]);
    expect(out.status, out.stderr).toBe(0);
    const proof = parseTlogProof(out.stdout);
    const extra = JSON.parse(Buffer.from(proof.extra!).toString('utf8'));
    expect(proof.index).toBeGreaterThanOrEqual(302); // the second run's chunks
    expect(out.stderr).toMatch(
      new RegExp(
        `^s3://${bucket}/${key}: encrypted at \\S+ \\(run ${secondRun} chunk [0-9a-f]{24} position \\d+\\) is leaf ${proof.index} of 304 in transparency log ${origin}; the proof checks with its key\\n$`,
      ),
    );
    const proofFile = file('object.tlog-proof', out.stdout);
    const entryFile = file('entry', encodeLeafEntry(extra));
    const logFile = file('chunk-log.gz', await readObject(pipeline.clients.s3, extra.bucket, extra.key));
    const check = (entry: string, ...more: string[]) =>
      runTool(tools.checker, [
        'proof',
        '--vkey-file',
        vkeyFile,
        '--origin',
        origin,
        '--proof-file',
        proofFile,
        '--entry-file',
        entry,
        ...more,
      ]);
    const ok = await check(entryFile, '--chunk-log', logFile);
    expect(ok.output).toMatch(
      new RegExp(`^ok proof of leaf ${proof.index} in 304: s3://${bucket}/${key} encrypted at `),
    );
    expect(ok.code).toBe(0);
    // Another leaf's entry, or an altered chunk log, does not pass.
    const other = file('other-entry', encodeLeafEntry({ ...extra, sha256: 'a'.repeat(64) }));
    expect((await check(other)).output).toMatch(/inclusion proof: invalid transparency proof/);
    const altered = readFileSync(logFile);
    altered[altered.length - 5]! ^= 1;
    expect((await check(entryFile, '--chunk-log', file('altered.gz', altered))).output).toMatch(
      /does not hash to the leaf's sha256/,
    );

    const written = runCli([
      'audit',
      'proof',
      `s3://${bucket}/${key}`,
      '--output',
      join(scratch, 'out.tlog-proof'),
    ]);
    expect(written.status).toBe(0);
    expect(written.stdout).toBe('');
    expect(readFileSync(join(scratch, 'out.tlog-proof'), 'utf8')).toBe(out.stdout);
  });

  it('refuses an object never decided, and a bad --since file, in one line with exit 1', () => {
    const never = runCli(['audit', 'proof', `s3://${bucket}/no-such-key`]);
    expect(never.status).toBe(1);
    expect(never.stderr).toBe(
      `s3-seal: error: s3://${bucket}/no-such-key: s3-seal recorded no decision about it (check the bucket, key and version)\n`,
    );
    const missing = verifyAll('--since', join(scratch, 'nope'));
    expect([missing.status, missing.stderr]).toEqual([
      1,
      `s3-seal: error: --since ${join(scratch, 'nope')}: no such file\n`,
    ]);
    const junk = verifyAll('--since', file('junk', 'not a checkpoint\n'));
    expect(junk.status).toBe(1);
    expect(junk.stderr).toMatch(
      /^s3-seal: error: --since \S+junk: not a checkpoint of this log signed by its key: .*\n$/,
    );
  });

  it('without the KMS key: a one-line error, and an outsider checks with the verifier key alone', () => {
    const env = { ...process.env, S3SEAL_TLOG_KEY: 'alias/s3-seal-tlog-none' };
    const noKey = runCli(['audit', 'checkpoint'], 150_000, env);
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toBe(
      "s3-seal: error: transparency log: KMS key alias/s3-seal-tlog-none not found (S3SEAL_TLOG_KEY): run `s3-seal setup`, or give the log's --verifier-key\n",
    );
    const vkey = readFileSync(vkeyFile, 'utf8');
    const outsider = runCli(
      ['audit', 'verify', '--all', '--verifier-key', vkey, '--since', older],
      150_000,
      env,
    );
    expect(outsider.status, outsider.stdout).toBe(0);
    const proof = runCli(
      ['audit', 'proof', `s3://${bucket}/${AWKWARD_KEYS[0]}`, '--verifier-key', vkey],
      150_000,
      env,
    );
    expect(proof.status).toBe(0);
  });
});

describe('tampering with the log, its chunk logs or its checkpoint', () => {
  const s3 = () => pipeline.clients.s3;
  const flip = (at: number) => (bytes: Buffer) => {
    bytes[at < 0 ? bytes.length + at : at]! ^= 1;
    return bytes;
  };
  /** audit verify --all's problems (stdout) and exit status, and fsck's verdict, while tampered. */
  const caught = async () => {
    const out = verifyAll('--since', older);
    return { status: out.status, problems: out.stdout.trim().split('\n'), fsck: (await fsck()).output };
  };

  it('a flipped byte in a full tile: verify names the tile, fsck fails', async () => {
    const found = await whileTampered(s3(), logBucket, logKey('tile/0/000'), flip(100), caught);
    expect(found.status).toBe(1);
    expect(found.problems).toContain(
      'transparency log: tiles: entry 3 (tile/entries/000) does not hash to its leaf in tile/0/000',
    );
    expect(found.fsck).toMatch(/fsck failed: failed: tile\/0\/000: log has:/);
  });

  it('a flipped byte in an entry bundle: verify names the entry, fsck fails', async () => {
    const found = await whileTampered(s3(), logBucket, logKey('tile/entries/001.p/48'), flip(40), caught);
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
    const entries = (await readObject(s3(), logBucket, logKey('tile/entries/000'))).subarray(2);
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
      logBucket,
      logKey('checkpoint'),
      (bytes) => bytes.toString('utf8').replace('\n304\n', '\n303\n'),
      caught,
    );
    expect(found.status).toBe(1);
    expect(found.problems).toEqual([
      `transparency log: checkpoint: changed: the signature of ${origin} on the note does not verify`,
    ]);
    expect(found.fsck).toMatch(/fsck failed: failed to fetch and verify checkpoint/);
  });

  it('an older checkpoint put back (truncation): --since names it; without it the missing leaves are named once past the grace period', async () => {
    const truncated = await whileTampered(
      s3(),
      logBucket,
      logKey('checkpoint'),
      () => readFileSync(older),
      async () => {
        const since = verifyAll('--since', newer);
        const waiting = verifyAll();
        const proof = runCli(['audit', 'proof', `s3://${bucket}/${AWKWARD_KEYS[0]}`]);
        // The second run's chunks, as if they had committed ten minutes ago.
        const later = await backdateChunksFrom(302);
        try {
          return { since, waiting, proof, later: verifyAll() };
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
        `^s3-seal: error: s3://${bucket}/${AWKWARD_KEYS[0]}: its latest decision \\(encrypted at \\S+, run ${secondRun} chunk [0-9a-f]{24}\\) is not in the transparency log yet \\(leaf 30[23], the checkpoint holds 302\\): the sequencer adds committed chunks within seconds, try again\n$`,
      ),
    );
    expect(truncated.later.status).toBe(1);
    expect(truncated.later.stdout).toMatch(
      /^run \S+ chunk [0-9a-f]{24}: leaf 30[23]: missing: the checkpoint holds 302 leaves \(committed at \S+\)\n.*leaf 30[23]: missing/s,
    );
  });

  it('a checkpoint of the same size over other leaves, signed by the same key (rewritten history): verify and fsck', async () => {
    const leaves = decodeEntryBundle(await readObject(s3(), logBucket, logKey('tile/entries/000')));
    const fork = await buildTiles(new MemoryTileStore(), 0, [
      ...leaves.slice(1),
      leaves[0]!,
      ...leaves.slice(0, 48),
    ]);
    const signer = await KmsNoteSigner.create(
      pipeline.clients.kms,
      pipeline.config.transparencyLog.keyId,
      origin,
    );
    const forged = await signCheckpoint({ origin, size: 304, rootHash: fork.rootHash }, [signer]);
    const found = await whileTampered(s3(), logBucket, logKey('checkpoint'), () => forged, caught);
    expect(found.status).toBe(1);
    expect(found.problems).toEqual([
      'transparency log: checkpoint: rewritten: the log of 304 leaves does not extend the saved checkpoint of 302 (consistency proof from size 302 to 304: it does not lead to the new root)',
      "transparency log: tiles: the tiles do not hash to the checkpoint's root for size 304",
    ]);
    expect(found.fsck).toMatch(/fsck failed/);
  });
});

/** Sets updatedAt of the chunks at leaves `from` and after ten minutes back; `restore` undoes it. */
async function backdateChunksFrom(from: number) {
  const source = deploymentChunkSource(pipeline.clients, pipeline.config);
  const changed: { runId: string; chunkId: string; updatedAt: string }[] = [];
  for await (const runId of pipeline.runs.allRunIds())
    for await (const item of source.listRun(runId))
      if ((item.leafIndex ?? -1) >= from)
        changed.push({ runId, chunkId: item.chunkId, updatedAt: item.updatedAt });
  const setUpdatedAt = (ref: { runId: string; chunkId: string }, at: string) =>
    pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.ledgerTable,
        Key: chunkItemKey(ref),
        UpdateExpression: 'SET updatedAt = :at',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  const tenMinutesAgo = new Date(Date.now() - 10 * 60_000).toISOString();
  for (const ref of changed) await setUpdatedAt(ref, tenMinutesAgo);
  expect(changed).toHaveLength(2);
  return { restore: async () => Promise.all(changed.map((ref) => setUpdatedAt(ref, ref.updatedAt))) };
}
