import { createHash, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkItemKey } from '../../shared/chunks/chunk-item-key.js';
import { chunkIdFor } from '../../shared/chunks/chunk-message.js';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';
import { ensureTables } from '../../shared/infra/provision.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { verifyLog } from '../../shared/tlog/log-verifier.js';
import { hashLeaf } from '../../shared/tlog/merkle-hash.js';
import { inclusionProof } from '../../shared/tlog/merkle-proof.js';
import { verifyInclusion } from '../../shared/tlog/merkle-verify.js';
import { openCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { TileNodeReader } from '../../shared/tlog/tile-node-reader.js';
import { tilePath } from '../../shared/tlog/tile-path.js';
import { formatVerifierKey, parseVerifierKey } from '../../shared/tlog/verifier-key.js';
import { decodeLeafEntry, encodeLeafEntry } from '../../shared/transparency/leaf-entry.js';
import type { LeafRequest } from '../../shared/transparency/leaf-request.js';
import { findLeaf } from '../../shared/transparency/leaf-search.js';
import { LogSequencer } from '../../shared/transparency/log-sequencer.js';
import { S3TileStore, TileConflictError } from '../../shared/transparency/s3-tile-store.js';
import { assignmentTransaction, EMPTY_STATE } from '../../shared/transparency/sequencer-state.js';

/**
 * The transparency log's sequencer on the local stack (DynamoDB Local, LocalStack S3 and KMS):
 * leaves assigned with their chunk items marked, tiles and a signed checkpoint that verify,
 * redeliveries dropped, an assignment whose publisher died published by the next one, two
 * sequencers at once, and a tile with other bytes stopping the log instead of forking it.
 */
const prefix = `it-tlog-${randomUUID().slice(0, 8)}`;
const table = `${prefix}-ledger`;
const bucket = `${prefix}-audit`;
const { dynamo } = createClients(loadConfig());
const s3 = new S3Client({ forcePathStyle: true });
const kms = new KMSClient({});
let keyId: string;

beforeAll(async () => {
  await ensureTables(new DynamoDBClient({}), { ledgerTable: table, auditTable: `${prefix}-audit` });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const key = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  keyId = key.KeyMetadata!.KeyId!;
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A log of its own per test: its prefix, origin and state item. */
function newLog(name: string) {
  const origin = `s3-seal/${bucket}/${name}`;
  const tiles = new S3TileStore(s3, { bucket, prefix: `${name}/` });
  let signer: Promise<KmsNoteSigner> | undefined;
  const sequencer = (signerOverride?: () => Promise<KmsNoteSigner>) =>
    new LogSequencer({
      dynamo,
      table,
      tiles,
      origin,
      signer: signerOverride ?? (() => (signer ??= KmsNoteSigner.create(kms, keyId, origin))),
    });
  const open = async () => {
    const signing = await KmsNoteSigner.create(kms, keyId, origin);
    const verifier = parseVerifierKey(formatVerifierKey(origin, signing.publicKeyDer));
    const stored = await tiles.readCheckpoint();
    return openCheckpoint(stored!.text, [verifier], origin);
  };
  return { origin, tiles, sequencer, open };
}

/** `n` committed chunk items of a run, and the leaf requests their commits would send. */
async function committedChunks(runId: string, n: number, from = 0): Promise<LeafRequest[]> {
  const requests: LeafRequest[] = [];
  for (let i = from; i < from + n; i++) {
    const chunkId = chunkIdFor(runId, `listing:a:0:${i}`);
    const logKey = `audit/${runId}/${chunkId}/1.jsonl.gz`;
    const logSha256 = sha256(`${runId}:${i}`);
    await dynamo.send(
      new PutCommand({
        TableName: table,
        Item: { ...chunkItemKey({ runId, chunkId }), state: 'DONE', attempt: 1, logKey, logSha256 },
      }),
    );
    requests.push({ runId, chunkId, leaf: { bucket, key: logKey, sha256: logSha256 } });
  }
  return requests;
}

async function leafIndexOf(request: LeafRequest): Promise<number | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: table, Key: chunkItemKey(request) }));
  return out.Item?.leafIndex as number | undefined;
}

describe('log sequencer', () => {
  it('appends committed chunks as leaves: chunk items marked, tiles and signed checkpoint verify', async () => {
    const log = newLog('append');
    const requests = await committedChunks(`run-${randomUUID()}`, 300);
    const result = await log.sequencer().sequence(requests);
    expect(result).toMatchObject({ appended: 300, alreadyInLog: 0, refused: [], size: 300 });

    const checkpoint = await log.open();
    expect(checkpoint.size).toBe(300);
    const seen: string[] = [];
    const check = await verifyLog(log.tiles, checkpoint, (_i, entry) => {
      seen.push(decodeLeafEntry(entry).key);
    });
    // 300 leaves: one full level-0 tile and bundle, one partial of each, and a partial level-1 tile.
    expect(check).toMatchObject({ size: 300, bundles: 2 });
    expect(seen).toEqual(requests.map((r) => r.leaf.key));
    // Every chunk item names its leaf, and the leaf is in the signed tree.
    const reader = new TileNodeReader(log.tiles, 300);
    for (const i of [0, 1, 255, 256, 299]) {
      expect(await leafIndexOf(requests[i]!)).toBe(i);
      const proof = await inclusionProof(reader, i, 300);
      expect(() =>
        verifyInclusion(hashLeaf(encodeLeafEntry(requests[i]!.leaf)), i, 300, proof, checkpoint.rootHash),
      ).not.toThrow();
    }
  });

  it('says when S3 wrote each tile, and a leaf is found from the time its log was written', async () => {
    const log = newLog('find');
    const before = new Date(Date.now() - 60_000);
    const requests = await committedChunks(`run-${randomUUID()}`, 300);
    await log.sequencer().sequence(requests);
    const written = await log.tiles.writtenAt(tilePath(0, 0));
    expect(written!.getTime()).toBeGreaterThan(before.getTime() - 5 * 60_000);
    expect(written!.getTime()).toBeLessThan(Date.now() + 5 * 60_000);
    expect(await log.tiles.writtenAt(tilePath(0, 5))).toBeUndefined();
    for (const i of [3, 299]) {
      const entry = encodeLeafEntry(requests[i]!.leaf);
      expect(await findLeaf(log.tiles, 300, entry, { notBefore: before })).toBe(i);
    }
  });

  it('drops redeliveries and refuses chunks not committed to the log they name', async () => {
    const log = newLog('redeliver');
    const runId = `run-${randomUUID()}`;
    const first = await committedChunks(runId, 5);
    await log.sequencer().sequence(first);
    const more = await committedChunks(runId, 2, 5);
    const forged = { ...more[1]!, leaf: { ...more[1]!.leaf, sha256: sha256('other bytes') } };
    const result = await log.sequencer().sequence([...first, more[0]!, more[0]!, forged]);
    expect(result.appended).toBe(1);
    expect(result.alreadyInLog).toBe(5);
    expect(result.refused.map((r) => r.reason)).toEqual([expect.stringContaining('another log')]);
    expect(result.size).toBe(6);
    expect(await leafIndexOf(more[0]!)).toBe(5);
    expect(await leafIndexOf(more[1]!)).toBeUndefined();
    expect((await log.open()).size).toBe(6);
  });

  it('publishes leaves a sequencer assigned before it died, with the same bytes', async () => {
    const log = newLog('crash');
    const runId = `run-${randomUUID()}`;
    await log.sequencer().sequence(await committedChunks(runId, 10));
    // The next append dies after its assignment, before any tile or checkpoint: its signer fails.
    const next = await committedChunks(runId, 20, 10);
    const dying = log.sequencer(() => Promise.reject(new Error('killed')));
    await expect(dying.sequence(next)).rejects.toThrow('killed');
    expect((await log.open()).size).toBe(10);
    expect(await leafIndexOf(next[0]!)).toBe(10);
    // Whoever comes next publishes them (and finds the requests already in the log).
    const result = await log.sequencer().sequence(next);
    expect(result).toMatchObject({ appended: 0, alreadyInLog: 20, size: 30 });
    const checkpoint = await log.open();
    expect(checkpoint.size).toBe(30);
    await verifyLog(log.tiles, checkpoint);
  });

  it('keeps one log when two sequencers append at once', async () => {
    const log = newLog('concurrent');
    const runId = `run-${randomUUID()}`;
    const a = await committedChunks(runId, 150);
    const b = await committedChunks(runId, 150, 150);
    await Promise.all([log.sequencer().sequence(a), log.sequencer().sequence(b)]);
    const checkpoint = await log.open();
    expect(checkpoint.size).toBe(300);
    const keys = new Set<string>();
    await verifyLog(log.tiles, checkpoint, (_i, entry) => {
      keys.add(decodeLeafEntry(entry).key);
    });
    expect(keys.size).toBe(300);
    const indexes = await Promise.all([...a, ...b].map(leafIndexOf));
    expect(new Set(indexes).size).toBe(300);
  });

  it('stops instead of forking when a tile it must write holds other bytes', async () => {
    const log = newLog('conflict');
    const runId = `run-${randomUUID()}`;
    await log.sequencer().sequence(await committedChunks(runId, 3));
    // Someone wrote the 5-leaf partial tile the next append will write, with other hashes.
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'conflict/tile/0/000.p/5', Body: new Uint8Array(5 * 32) }),
    );
    await expect(log.sequencer().sequence(await committedChunks(runId, 2, 3))).rejects.toThrow(
      TileConflictError,
    );
    expect((await log.open()).size).toBe(3);
  });

  it('never puts an older checkpoint back over a newer one', async () => {
    const log = newLog('stale');
    await log.sequencer().sequence(await committedChunks(`run-${randomUUID()}`, 4));
    const read = await log.tiles.readCheckpoint();
    await log.sequencer().sequence(await committedChunks(`run-${randomUUID()}`, 4));
    expect(await log.tiles.replaceCheckpoint(read!.text, read!.etag)).toBeUndefined();
    expect((await log.open()).size).toBe(8);
  });

  it('refuses to assign from a state the table no longer holds', async () => {
    const log = newLog('guard');
    await log.sequencer().sequence(await committedChunks(`run-${randomUUID()}`, 2));
    // A transaction built from the empty state (a stale read) fails on the state item's condition.
    const late = await committedChunks(`run-${randomUUID()}`, 1);
    await expect(
      dynamo.send(
        new TransactWriteCommand(
          assignmentTransaction(table, log.origin, EMPTY_STATE, late, ['x'], new Date()),
        ),
      ),
    ).rejects.toThrow(/cancel/i);
    expect(await leafIndexOf(late[0]!)).toBeUndefined();
  });
});
