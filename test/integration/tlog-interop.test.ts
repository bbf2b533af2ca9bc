import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryTileStore } from '../../shared/tlog/directory-tile-store.js';
import { TileMissingError, TlogVerificationError } from '../../shared/tlog/errors.js';
import { verifyLog } from '../../shared/tlog/log-verifier.js';
import { consistencyProof, inclusionProof } from '../../shared/tlog/merkle-proof.js';
import { verifyConsistency } from '../../shared/tlog/merkle-verify.js';
import { LocalNoteSigner } from '../../shared/tlog/note-signer.js';
import { openCheckpoint, signCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { buildTiles } from '../../shared/tlog/tile-builder.js';
import { TileNodeReader } from '../../shared/tlog/tile-node-reader.js';
import { MemoryTileStore } from '../../shared/tlog/tile-store.js';
import { formatTlogProof } from '../../shared/tlog/tlog-proof.js';
import { formatVerifierKey, parseVerifierKey } from '../../shared/tlog/verifier-key.js';
import { runTool, serveDirectory, writeLogDirectory } from '../helpers/tlog-directory.js';
import { buildTlogTools, FSCK_MODULE } from '../helpers/tlog-go.js';

// The TypeScript transparency log (shared/tlog/) checked by code s3-seal did not write: Go's
// checksum-database Merkle package, transparency-dev's ECDSA note verifier, and tessera's fsck.
const origin = 'example.com/s3-seal/interop';
const signer = new LocalNoteSigner(origin, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
// Leaves as issue 22's chunk logs will give them: the log's location and its SHA-256.
const entry = (i: number) =>
  new TextEncoder().encode(
    JSON.stringify({ log: `runs/r1/chunks/c${i}/1.jsonl.gz`, sha256: `${i}`.padStart(64, '0') }),
  );
const entries = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => entry(from + i));

let tools: { checker: string; fsck: string };
let scratch: string;
let logDir: string;
let vkeyFile: string;
let oldCheckpoint: string;
const store = new MemoryTileStore();

async function grow(from: number, to: number): Promise<string> {
  const build = await buildTiles(store, from, entries(from, to));
  for (const { path, bytes } of build.writes) await store.write(path, bytes);
  return signCheckpoint({ origin, size: build.size, rootHash: build.rootHash }, [signer]);
}

/** A copy of the log with `change` applied, for tampering. */
function copyLog(name: string, change: (dir: string) => void): string {
  const dir = join(scratch, name);
  cpSync(logDir, dir, { recursive: true });
  change(dir);
  return dir;
}

function flipByte(file: string, at: number): void {
  const bytes = readFileSync(file);
  bytes[at]! ^= 1;
  writeFileSync(file, bytes);
}

const check = (command: string, dir: string, ...args: string[]) =>
  runTool(tools.checker, [command, '--dir', dir, '--vkey-file', vkeyFile, ...args]);

beforeAll(async () => {
  tools = await buildTlogTools();
  scratch = mkdtempSync(join(tmpdir(), 'tlog-interop-'));
  logDir = join(scratch, 'log');
  vkeyFile = join(scratch, 'vkey');
  writeFileSync(vkeyFile, formatVerifierKey(origin, signer.publicKeyDer));
  oldCheckpoint = await grow(0, 100);
  writeFileSync(join(scratch, 'old-checkpoint'), oldCheckpoint);
  // 1,000 leaves: three full level-0 tiles, a partial of 232, a partial level-1 tile of 3, and the
  // partial tiles of the size-100 checkpoint left beside them.
  await writeLogDirectory(logDir, store, await grow(100, 1_000));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('Go x/mod/sumdb/tlog and transparency-dev/formats read the log', () => {
  it('verifies the checkpoint signature, every tile and every entry bundle', async () => {
    const run = await check('log', logDir);
    expect(run.output).toBe(
      `ok log ${origin} size 1000 root ${readFileSync(join(logDir, 'checkpoint'), 'utf8').split('\n')[2]}\n`,
    );
    expect(run.code).toBe(0);
  });

  it('verifies tlog-proofs of inclusion and finds them equal to the proofs it computes', async () => {
    const checkpoint = readFileSync(join(logDir, 'checkpoint'), 'utf8');
    const reader = new TileNodeReader(store, 1_000);
    for (const index of [0, 99, 255, 256, 999]) {
      const proof = await inclusionProof(reader, index, 1_000);
      const proofFile = join(scratch, `proof-${index}.tlog-proof`);
      const entryFile = join(scratch, `entry-${index}`);
      writeFileSync(
        proofFile,
        formatTlogProof({ index, proof, checkpoint, extra: Uint8Array.of(index % 256) }),
      );
      writeFileSync(entryFile, entry(index));
      const run = await check('inclusion', logDir, '--proof-file', proofFile, '--entry-file', entryFile);
      expect(run.output).toBe(`ok inclusion of ${index} in 1000\n`);
      // The same proof for another entry fails.
      writeFileSync(entryFile, entry(index + 1));
      const wrong = await check('inclusion', logDir, '--proof-file', proofFile, '--entry-file', entryFile);
      expect(wrong.code).toBe(1);
      expect(wrong.output).toMatch(/inclusion proof: invalid transparency proof/);
    }
  });

  it('verifies a consistency proof from an older checkpoint, and rejects a forked history', async () => {
    const proof = await consistencyProof(new TileNodeReader(store, 1_000), 100, 1_000);
    const proofFile = join(scratch, 'consistency');
    writeFileSync(proofFile, proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join(''));
    const oldFile = join(scratch, 'old-checkpoint');
    const run = await check('consistency', logDir, '--old-checkpoint', oldFile, '--proof-file', proofFile);
    expect(run.output).toBe('ok consistency 100 -> 1000\n');

    // A checkpoint of size 100 signed by the same key over other entries: the log forked.
    const fork = new MemoryTileStore();
    const forked = await buildTiles(fork, 0, entries(1, 101));
    const forkFile = join(scratch, 'fork-checkpoint');
    writeFileSync(forkFile, await signCheckpoint({ origin, size: 100, rootHash: forked.rootHash }, [signer]));
    const caught = await check(
      'consistency',
      logDir,
      '--old-checkpoint',
      forkFile,
      '--proof-file',
      proofFile,
    );
    expect(caught.code).toBe(1);
    expect(caught.output).toMatch(/consistency proof: invalid transparency proof/);
    const newRoot = (await buildTiles(new MemoryTileStore(), 0, entries(0, 1_000))).rootHash;
    expect(() => verifyConsistency(100, 1_000, forked.rootHash, newRoot, proof)).toThrow(
      TlogVerificationError,
    );
  });

  /** The TypeScript check of a log directory: the checkpoint's signature, then every tile and bundle. */
  async function verifyDirectory(dir: string) {
    const verifier = parseVerifierKey(readFileSync(vkeyFile, 'utf8'));
    const checkpoint = openCheckpoint(readFileSync(join(dir, 'checkpoint'), 'utf8'), [verifier], origin);
    return verifyLog(new DirectoryTileStore(dir), checkpoint);
  }

  it('rejects a tampered tile, entry bundle or checkpoint, and a missing tile (Go and TypeScript alike)', async () => {
    await expect(verifyDirectory(logDir)).resolves.toMatchObject({ size: 1_000, bundles: 4 });

    const tile = copyLog('bad-tile', (dir) => flipByte(join(dir, 'tile/1/000.p/3'), 40));
    expect((await check('log', tile)).output).toMatch(/tree hash from tiles|tiles hash to/);
    await expect(verifyDirectory(tile)).rejects.toThrow(
      /tile\/0\/001 does not hash to its entry in tile\/1\/000\.p\/3/,
    );

    const bundle = copyLog('bad-bundle', (dir) => flipByte(join(dir, 'tile/entries/001'), 30));
    expect((await check('log', bundle)).output).toBe(
      'tlog-check: entry 256 does not hash to its leaf in the tree\n',
    );
    await expect(verifyDirectory(bundle)).rejects.toThrow(/entry 256 \(tile\/entries\/001\) does not hash/);

    const missing = copyLog('missing-tile', (dir) => rmSync(join(dir, 'tile/0/002')));
    expect((await check('log', missing)).code).toBe(1);
    await expect(verifyDirectory(missing)).rejects.toThrow(TileMissingError);

    const checkpoint = copyLog('bad-checkpoint', (dir) => {
      const file = join(dir, 'checkpoint');
      writeFileSync(file, readFileSync(file, 'utf8').replace('\n1000\n', '\n999\n'));
    });
    const run = await check('log', checkpoint);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/checkpoint: failed to verify signatures on checkpoint: invalid signature/);
    await expect(verifyDirectory(checkpoint)).rejects.toThrow(/does not verify/);
  });
});

describe(`tessera fsck (${FSCK_MODULE}) over loopback HTTP`, () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  // fsck's exit status says nothing: it logs `fsck failed: ...` and exits 0 (issue 23). And a worker
  // that meets a bad or missing tile stops reading its queue, so with the default --N=1 fsck then
  // waits forever: run 4 workers, always under a time limit, and judge by the output.
  async function fsck(dir: string, { workers = 4, timeoutMs = 60_000 } = {}) {
    const { url, server } = await serveDirectory(dir);
    servers.push(server);
    const args = ['--storage_url', url, '--public_key', vkeyFile, '--ui=false', '--N', String(workers)];
    return runTool(tools.fsck, args, timeoutMs);
  }

  it('checks the log the TypeScript builder wrote', async () => {
    const run = await fsck(logDir);
    expect(run.output).toMatch(/Successfully fsck'd log with size 1000 and root /);
    expect(run.output).not.toMatch(/fsck failed/);
  });

  it('reports a tampered tile and a tampered entry bundle with `fsck failed` and exit status 0', async () => {
    for (const dir of [
      copyLog('fsck-bad-tile', (d) => flipByte(join(d, 'tile/0/001'), 100)),
      copyLog('fsck-bad-bundle', (d) => flipByte(join(d, 'tile/entries/003.p/232'), 30)),
    ]) {
      const run = await fsck(dir);
      expect(run.output).toMatch(/fsck failed: failed: tile\/0\/00[13](\.p\/232)?: log has:/);
      expect(run.output).not.toMatch(/Successfully fsck'd/);
      expect(run.code).toBe(0);
    }
  });

  it('reports a checkpoint that does not verify', async () => {
    const dir = copyLog('fsck-bad-checkpoint', (d) => flipByte(join(d, 'checkpoint'), 2));
    const run = await fsck(dir);
    expect(run.output).toMatch(/fsck failed: failed to fetch and verify checkpoint/);
  });

  it('reports a missing tile, but with its default single worker never finishes', async () => {
    const dir = copyLog('fsck-missing-tile', (d) => rmSync(join(d, 'tile/0/001')));
    const run = await fsck(dir);
    expect(run.output).toMatch(
      /fsck failed: failed: resource not found: get\("http:\/\/127\.0\.0\.1:\d+\/tile\/0\/001"\)/,
    );
    expect(run.code).toBe(0);
    const stalled = await fsck(dir, { workers: 1, timeoutMs: 10_000 });
    expect(stalled.timedOut).toBe(true);
    expect(stalled.output).not.toMatch(/Successfully fsck'd|fsck failed/);
  });
});
