import { createHash, randomUUID } from 'node:crypto';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { itemBytes } from '../../bench/item-size.js';
import { CHUNK_SHARDS, chunkItemKey, chunkShardOf } from '../../shared/chunks/chunk-item-key.js';
import { chunkIdFor } from '../../shared/chunks/chunk-message.js';
import {
  type ChunkCommit,
  ChunkMembershipError,
  type ChunkRef,
  type ClaimChunkInput,
} from '../../shared/chunks/chunk-store.js';
import { DynamoDbUploadLedger } from '../../shared/chunks/chunk-uploads.js';
import { DynamoDbChunkStore } from '../../shared/chunks/dynamodb-chunk-store.js';
import type { RecordedUpload } from '../../shared/chunks/recorded-upload.js';
import { uploadAttributeOf } from '../../shared/chunks/upload-attribute.js';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';
import { ensureTables } from '../../shared/infra/provision.js';
import { ShardPool } from '../../shared/runs/shard-pool.js';
import { type CountedRecord, readTally, tallyKey } from '../../shared/runs/tally-shards.js';

/**
 * The chunk item store on DynamoDB Local, on a table of its own: claims, take-overs, commits that
 * count in the run's tally shards exactly once, give-backs, listing, and upload state.
 */
const prefix = `it-chunks-${randomUUID().slice(0, 8)}`;
const table = `${prefix}-ledger`;
const { dynamo } = createClients(loadConfig());
const store = (shards = new ShardPool(4)) => new DynamoDbChunkStore(dynamo, table, shards);

beforeAll(async () => {
  await ensureTables(new DynamoDBClient({}), { ledgerTable: table, auditTable: `${prefix}-audit` });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const LEASE = 900;
const T0 = new Date('2030-01-01T00:00:00.000Z');
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function chunk(runId: string, n: number): ChunkRef {
  return { runId, chunkId: chunkIdFor(runId, `listing:a:0:${n}`) };
}
const claimOf = (ref: ChunkRef, owner: string, membership = 'm'.repeat(64)): ClaimChunkInput => ({
  ...ref,
  owner,
  leaseSeconds: LEASE,
  membership,
});
function records(n: number, tag: string): CountedRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    hash: sha256(`${tag}:${i}`),
    decision: i % 2 === 0 ? 'encrypted' : 'compliant',
    at: T0.toISOString(),
  }));
}
const commitOf = (ref: ChunkRef, n: number, attempt = 1): ChunkCommit => ({
  log: {
    key: `audit/runs/${ref.runId}/chunks/${ref.chunkId}/${attempt}.jsonl.gz`,
    sha256: sha256(`${ref.chunkId}:${attempt}`),
  },
  records: records(n, ref.chunkId),
  keyArns: ['arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555'],
});
const rawItem = async (ref: ChunkRef) =>
  (await dynamo.send(new GetCommand({ TableName: table, Key: chunkItemKey(ref), ConsistentRead: true })))
    .Item;
async function shardItems(runId: string) {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': tallyKey(runId, 0).pk },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

describe('provisioning', () => {
  it('turns TTL on for expiresAt, and a second setup finds it on without failing', async () => {
    const client = new DynamoDBClient({});
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
    const again = await ensureTables(client, { ledgerTable: table, auditTable: `${prefix}-audit` });
    expect(again.map((r) => r.status)).toEqual(['exists', 'exists']);
  });
});

describe('claim', () => {
  const runId = `run-claim-${randomUUID().slice(0, 6)}`;
  const ref = chunk(runId, 0);

  it('takes a new chunk: IN_PROGRESS, attempt 1, one fresh salt, first claim now', async () => {
    const claim = await store().claim(claimOf(ref, 'w1'), T0);
    expect(claim.claimed).toBe(true);
    if (!claim.claimed) return;
    expect(claim.item).toMatchObject({
      ...ref,
      state: 'IN_PROGRESS',
      owner: 'w1',
      attempt: 1,
      membership: 'm'.repeat(64),
      firstClaimedAt: T0.toISOString(),
      leaseExpiresAt: T0.getTime() + LEASE * 1000,
    });
    expect(claim.item.salts).toHaveLength(1);
    expect(claim.item.salts[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(await store().get(ref)).toEqual(claim.item);
  });

  it('leaves a live lease alone and returns the chunk as it is', async () => {
    const claim = await store().claim(claimOf(ref, 'w2'), later(LEASE - 1));
    expect(claim).toMatchObject({
      claimed: false,
      existing: { owner: 'w1', attempt: 1, state: 'IN_PROGRESS' },
    });
  });

  it('takes an expired lease over: attempt 2, two salts, the first claim time kept', async () => {
    const first = (await store().get(ref))!;
    const claim = await store().claim(claimOf(ref, 'w2'), later(LEASE + 1));
    expect(claim.claimed).toBe(true);
    if (!claim.claimed) return;
    expect(claim.item).toMatchObject({ owner: 'w2', attempt: 2, firstClaimedAt: T0.toISOString() });
    expect(claim.item.salts).toHaveLength(2);
    expect(claim.item.salts[0]).toBe(first.salts[0]);
    expect(claim.item.salts[1]).not.toBe(first.salts[0]);
  });

  it('refuses another membership, live lease or not, and leaves the chunk as it was', async () => {
    const before = await rawItem(ref);
    const other = claimOf(ref, 'w3', 'f'.repeat(64));
    await expect(store().claim(other, later(LEASE + 2))).rejects.toBeInstanceOf(ChunkMembershipError);
    await expect(store().claim(other, later(10 * LEASE))).rejects.toBeInstanceOf(ChunkMembershipError);
    expect(await rawItem(ref)).toEqual(before);
  });

  it('sets expiresAt (epoch seconds) for a chunk kept only a while', async () => {
    const event = chunk(runId, 1);
    const claim = await store().claim({ ...claimOf(event, 'w1'), ttlSeconds: 86_400 }, T0);
    expect(claim.claimed && claim.item.expiresAt).toBe(T0.getTime() / 1000 + 86_400);
  });
});

describe('commit', () => {
  const runId = `run-commit-${randomUUID().slice(0, 6)}`;
  const ref = chunk(runId, 0);

  it('makes the chunk DONE and counts its records in a tally shard, in one transaction', async () => {
    await store().claim(claimOf(ref, 'w1'), T0);
    expect(await store(new ShardPool(1)).commit(ref, 'w1', commitOf(ref, 5), later(5))).toBe(true);
    const item = (await store().get(ref))!;
    expect(item).toMatchObject({
      state: 'DONE',
      attempt: 1,
      records: 5,
      logKey: commitOf(ref, 5).log.key,
      logSha256: commitOf(ref, 5).log.sha256,
      keyArns: commitOf(ref, 5).keyArns,
      updatedAt: later(5).toISOString(),
    });
    expect(item.owner).toBeUndefined();
    expect(item.leaseExpiresAt).toBeUndefined();
    const tally = await readTally(dynamo, table, runId);
    expect(tally.records).toBe(5);
    expect(tally.counts).toMatchObject({ encrypted: 3, compliant: 2 });
    const [shard] = await shardItems(runId);
    expect(Number(shard!.ver)).toBe(5);
  });

  it('keeps a committed chunk item small: no working state, no per-object data', async () => {
    const raw = (await rawItem(ref))!;
    expect(Object.keys(raw).sort()).toEqual(
      [
        'pk',
        'sk',
        'state',
        'attempt',
        'membership',
        'salts',
        'firstClaimedAt',
        'logKey',
        'logSha256',
        'records',
        'keyArns',
        'updatedAt',
      ].sort(),
    );
    const bytes = itemBytes(marshall(raw));
    console.log(`committed chunk item: ${bytes} bytes (DynamoDB item-size rule)`, raw);
    expect(bytes).toBeLessThan(1024);
  });

  it('refuses a second commit by a stale owner and counts nothing more', async () => {
    const taken = chunk(runId, 1);
    await store().claim(claimOf(taken, 'old'), T0);
    await store().claim(claimOf(taken, 'new'), later(LEASE + 1));
    expect(await store().commit(taken, 'new', commitOf(taken, 3, 2))).toBe(true);
    expect(await store().commit(taken, 'old', commitOf(taken, 3, 1))).toBe(false);
    expect(await store().commit(ref, 'w1', commitOf(ref, 4, 2))).toBe(false);
    expect((await readTally(dynamo, table, runId)).records).toBe(5 + 3);
    expect((await store().get(taken))!.logKey).toBe(commitOf(taken, 3, 2).log.key);
  });

  it('answers true to the same commit made again after it landed, counting it once', async () => {
    expect(await store().commit(ref, 'w1', commitOf(ref, 5))).toBe(true);
    expect((await readTally(dynamo, table, runId)).records).toBe(8);
  });

  it('commits a chunk with no records alone, touching no shard', async () => {
    const empty = chunk(runId, 2);
    await store().claim(claimOf(empty, 'w1'), T0);
    expect(await store().commit(empty, 'w1', { ...commitOf(empty, 0), keyArns: [] })).toBe(true);
    const raw = (await rawItem(empty))!;
    expect(raw).toMatchObject({ state: 'DONE', records: 0 });
    expect(raw.keyArns).toBeUndefined();
    expect((await readTally(dynamo, table, runId)).records).toBe(8);
  });
});

describe('giveBack', () => {
  const runId = `run-give-${randomUUID().slice(0, 6)}`;
  const ref = chunk(runId, 0);

  it('gives the chunk back (RETRY), only by its owner, and a redelivery claims it at once', async () => {
    await store().claim(claimOf(ref, 'w1'), T0);
    expect(await store().giveBack(ref, 'w2', 'not mine', later(1))).toBe(false);
    expect(await store().giveBack(ref, 'w1', 'deadline', later(1))).toBe(true);
    const given = (await store().get(ref))!;
    expect(given).toMatchObject({ state: 'RETRY', error: 'deadline', attempt: 1 });
    expect(given.leaseExpiresAt).toBeUndefined();
    expect(await store().commit(ref, 'w1', commitOf(ref, 1))).toBe(false);
    const again = await store().claim(claimOf(ref, 'w2'), later(2));
    expect(again).toMatchObject({ claimed: true, item: { owner: 'w2', attempt: 2, state: 'IN_PROGRESS' } });
    expect(await store().commit(ref, 'w2', commitOf(ref, 2, 2))).toBe(true);
    expect((await store().get(ref))!.error).toBeUndefined();
  });
});

describe('tally shards', () => {
  it('counts commits of one run into one shard from two processes: each catches up with the other', async () => {
    const runId = `run-shard-${randomUUID().slice(0, 6)}`;
    // Two processes, one shard each (the same one): every commit after the first meets a moved shard.
    const a = store(new ShardPool(1));
    const b = store(new ShardPool(1));
    const refs = Array.from({ length: 8 }, (_, n) => chunk(runId, n));
    for (const ref of refs) await a.claim(claimOf(ref, 'w'), T0);
    expect(await a.commit(refs[0]!, 'w', commitOf(refs[0]!, 2))).toBe(true);
    expect(await b.commit(refs[1]!, 'w', commitOf(refs[1]!, 3))).toBe(true);
    expect(await a.commit(refs[2]!, 'w', commitOf(refs[2]!, 4))).toBe(true);
    // And at once: conflicts and moved versions both go again.
    const together = await Promise.all(
      refs.slice(3).map((ref, i) => (i % 2 === 0 ? a : b).commit(ref, 'w', commitOf(ref, 1 + i))),
    );
    expect(together).toEqual([true, true, true, true, true]);
    const tally = await readTally(dynamo, table, runId);
    const expected = 2 + 3 + 4 + (1 + 2 + 3 + 4 + 5);
    expect(tally.records).toBe(expected);
    expect(tally.shards).toBe(1);
    expect(tally.counts.encrypted + tally.counts.compliant).toBe(expected);
    const [shard] = await shardItems(runId);
    expect(Number(shard!.ver)).toBe(expected);
  });
});

describe('listRun', () => {
  it('finds every chunk of a run across its shards, and none of another run', async () => {
    const runId = `run-list-${randomUUID().slice(0, 6)}`;
    const refs = Array.from({ length: 80 }, (_, n) => chunk(runId, n));
    await Promise.all(refs.map((ref) => store().claim(claimOf(ref, 'w'), T0)));
    await store().claim(claimOf(chunk(`${runId}-other`, 0), 'w'), T0);
    const found: string[] = [];
    for await (const item of store().listRun(runId)) {
      expect(item.runId).toBe(runId);
      found.push(item.chunkId);
    }
    expect(found.sort()).toEqual(refs.map((r) => r.chunkId).sort());
    expect(new Set(refs.map((r) => chunkShardOf(r.chunkId))).size).toBeGreaterThan(CHUNK_SHARDS / 2);
  });
});

describe('getMany', () => {
  it('reads the items of the chunks asked for, 100 per BatchGetItem, consistently, and leaves out the absent', async () => {
    const runId = `run-many-${randomUUID().slice(0, 6)}`;
    const refs = Array.from({ length: 230 }, (_, n) => chunk(runId, n));
    await Promise.all(refs.map((ref) => store().claim(claimOf(ref, 'w'), T0)));
    const absent = chunk(`${runId}-never`, 0);
    const sent: string[] = [];
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return dynamo.send(command as never);
      },
    } as unknown as typeof dynamo;
    const found = await new DynamoDbChunkStore(counting, table, new ShardPool(4)).getMany([...refs, absent]);
    expect(sent).toEqual(['BatchGetCommand', 'BatchGetCommand', 'BatchGetCommand']);
    expect(found.map((item) => item.chunkId).sort()).toEqual(refs.map((r) => r.chunkId).sort());
    expect(found.every((item) => item.runId === runId && item.state === 'IN_PROGRESS')).toBe(true);
    expect(await store().getMany([])).toEqual([]);
  });
});

describe('uploads on chunk items', () => {
  const runId = `run-upload-${randomUUID().slice(0, 6)}`;
  const chunkRef = chunk(runId, 0);
  const ref = { ...chunkRef, key: 'big.bin' };
  const uploads = new DynamoDbUploadLedger(dynamo, table);
  const upload = (owner: string, uploadId = 'u1'): RecordedUpload => ({
    uploadId,
    kind: 'copy',
    owner,
    runId,
    sourceEtag: '"e1"',
    target: 'sse-kms:k',
    partSizeBytes: 5,
    totalBytes: 20,
    partsDone: 1,
    bytesDone: 5,
    startedAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
  });

  it('records progress only while the owner holds the chunk, renewing its lease', async () => {
    expect(await uploads.record(ref, upload('w1'), LEASE, T0)).toBe(false);
    await store().claim(claimOf(chunkRef, 'w1'), T0);
    expect(await uploads.record(ref, upload('w1'), LEASE, later(600))).toBe(true);
    expect(await uploads.recorded(ref)).toEqual(upload('w1'));
    expect((await store().get(chunkRef))!.leaseExpiresAt).toBe(later(600 + LEASE).getTime());
    expect(await uploads.record(ref, upload('w2', 'u2'), LEASE, later(601))).toBe(false);
    expect((await uploads.recorded(ref))!.uploadId).toBe('u1');
  });

  it('closes only the recorded upload, only by the owner', async () => {
    const end = { owner: 'w1', uploadId: 'u1', how: 'completed' as const, leaseSeconds: LEASE };
    expect(await uploads.close(ref, { ...end, owner: 'w2' }, later(700))).toBe(false);
    expect(await uploads.close(ref, { ...end, uploadId: 'u9' }, later(700))).toBe(false);
    expect(await uploads.recorded(ref)).toBeDefined();
    expect(await uploads.close(ref, end, later(700))).toBe(true);
    expect(await uploads.recorded(ref)).toBeUndefined();
    expect((await store().get(chunkRef))!.leaseExpiresAt).toBe(later(700 + LEASE).getTime());
  });

  it('records nothing once the chunk is given back, and a commit leaves no upload on the item', async () => {
    expect(await uploads.record(ref, upload('w1', 'u3'), LEASE, later(800))).toBe(true);
    expect(await store().giveBack(chunkRef, 'w1', 'deadline', later(801))).toBe(true);
    expect(await uploads.record(ref, upload('w1', 'u4'), LEASE, later(802))).toBe(false);
    // The next attempt finds the upload to resume or abort.
    expect((await uploads.recorded(ref))!.uploadId).toBe('u3');
    await store().claim(claimOf(chunkRef, 'w2'), later(803));
    expect(
      await store().commit(chunkRef, 'w2', { ...commitOf(chunkRef, 1, 2), uploadKeys: ['big.bin'] }),
    ).toBe(true);
    expect((await rawItem(chunkRef))![uploadAttributeOf('big.bin')]).toBeUndefined();
  });
});
