import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import { type Checkpoint, parseCheckpoint } from '../tlog/checkpoint.js';
import { TlogError } from '../tlog/errors.js';
import { EMPTY_TREE_HASH } from '../tlog/merkle-hash.js';
import type { NoteSigner } from '../tlog/note-signer.js';
import { signCheckpoint } from '../tlog/signed-checkpoint.js';
import { parseNote } from '../tlog/signed-note.js';
import { buildTiles } from '../tlog/tile-builder.js';
import { CachingTileStore } from './caching-tile-store.js';
import { encodeLeafEntry } from './leaf-entry.js';
import type { LeafRequest } from './leaf-request.js';
import type { S3TileStore, StoredCheckpoint } from './s3-tile-store.js';
import {
  assignmentTransaction,
  MAX_LEAVES_PER_ASSIGNMENT,
  type SequencerState,
  sequencerStateKey,
  sequencerStateOf,
} from './sequencer-state.js';

export interface SequencerDeps {
  dynamo: DynamoDBDocumentClient;
  table: string;
  tiles: S3TileStore;
  /** The checkpoint signer (a KmsNoteSigner named after the origin), made when first needed. */
  signer: () => Promise<NoteSigner>;
  origin: string;
  now?: () => Date;
}

export interface SequenceResult {
  appended: number;
  /** Requests for chunks already in the log (redeliveries, a chunk sent twice). */
  alreadyInLog: number;
  /** Requests naming no chunk committed to that log: never appended (a bug or a forged message). */
  refused: Array<{ request: LeafRequest; reason: string }>;
  /** The tree size the published checkpoint shows. */
  size: number;
}

/** Rounds of one call before it gives up: each lost race or conflict costs one. */
const MAX_ROUNDS = 50;
const TILE_WRITES_IN_FLIGHT = 8;

/**
 * The transparency log's sequencer (docs/architecture.md, "Transparency log"): appends committed
 * chunk logs as leaves. Per round, one transaction assigns up to 99 leaves and marks their chunk
 * items with their index (a chunk already marked is in the log: dropped), then the tiles are
 * written once and a checkpoint signed and put in place of the one read (a compare-and-swap on its
 * ETag). A sequencer that died between the two steps left its leaves assigned: whoever runs next
 * publishes them first, with the same bytes. Safe to run in several processes at once.
 */
export class LogSequencer {
  private readonly tiles: CachingTileStore;
  /**
   * The checkpoint this process last read or wrote (null: it read that there is none yet), read
   * again from S3 only when another writer moved it; undefined: not known.
   */
  private checkpoint?: StoredCheckpoint | null;

  constructor(private readonly deps: SequencerDeps) {
    this.tiles = new CachingTileStore(deps.tiles);
  }

  async sequence(requests: readonly LeafRequest[]): Promise<SequenceResult> {
    const result: SequenceResult = { appended: 0, alreadyInLog: 0, refused: [], size: 0 };
    let queue = uniqueChunks(requests);
    let state = await this.readState();
    for (let round = 1; ; round++) {
      result.size = await this.publish(state);
      if (queue.length === 0) return result;
      if (round > MAX_ROUNDS) throw new TlogError(`sequencing gave up after ${MAX_ROUNDS} rounds`);
      const batch = queue.slice(0, MAX_LEAVES_PER_ASSIGNMENT);
      const entries = batch.map((request) => Buffer.from(encodeLeafEntry(request.leaf)).toString('utf8'));
      try {
        await this.deps.dynamo.send(
          new TransactWriteCommand(
            assignmentTransaction(this.deps.table, this.deps.origin, state, batch, entries, this.now()),
          ),
        );
        queue = queue.slice(batch.length);
        result.appended += batch.length;
        state = { size: state.size + batch.length, pendingFrom: state.size, pending: entries };
      } catch (error) {
        const reasons = transactionCancellation(error);
        if (!reasons) throw error;
        const dropped = new Set<LeafRequest>();
        reasons.slice(1).forEach((reason, i) => {
          if (reason.Code !== 'ConditionalCheckFailed') return;
          const request = batch[i]!;
          const item = reason.Item ? unmarshall(reason.Item) : undefined;
          dropped.add(request);
          if (item?.leafIndex !== undefined) result.alreadyInLog++;
          else result.refused.push({ request, reason: refusalOf(request, item) });
        });
        queue = queue.filter((request) => !dropped.has(request));
        // Another sequencer assigned leaves since the read: publish them, then go on from there.
        if (reasons[0]?.Code === 'ConditionalCheckFailed') state = await this.readState();
        else if (dropped.size === 0) await sleep(Math.random() * 50 * Math.min(round, 10));
      }
    }
  }

  /** Publishes what `state` owes (tiles, then the signed checkpoint); returns the published size. */
  async publish(state: SequencerState): Promise<number> {
    for (let attempt = 1; attempt <= MAX_ROUNDS; attempt++) {
      const current =
        this.checkpoint !== undefined ? this.checkpoint : ((await this.deps.tiles.readCheckpoint()) ?? null);
      const tree = current ? checkpointOf(current.text) : undefined;
      const size = tree?.size ?? 0;
      if (size >= state.size) {
        this.checkpoint = current;
        return size;
      }
      if (size !== state.pendingFrom) {
        // What this process remembers may be older than another writer's checkpoint: read it.
        if (this.checkpoint !== undefined) {
          this.checkpoint = undefined;
          continue;
        }
        throw new TlogError(
          `the transparency log's checkpoint shows ${size} leaves, but this ledger table's sequencer ` +
            `owes one from ${state.pendingFrom}: another ledger table (deployment) writes the same log, ` +
            'or the checkpoint was replaced by hand; give each deployment its own S3SEAL_TLOG_PREFIX',
        );
      }
      const entries = state.pending.map((entry) => new Uint8Array(Buffer.from(entry, 'utf8')));
      const build = await buildTiles(this.tiles, size, entries, tree?.rootHash ?? EMPTY_TREE_HASH);
      await writeAll(this.tiles, build.writes);
      const signer = await this.deps.signer();
      const note = await signCheckpoint(
        { origin: this.deps.origin, size: build.size, rootHash: build.rootHash },
        [signer],
      );
      this.checkpoint = await this.deps.tiles.replaceCheckpoint(note, current?.etag);
      if (this.checkpoint) return build.size;
      this.checkpoint = undefined;
    }
    throw new TlogError(`publishing the checkpoint gave up after ${MAX_ROUNDS} attempts`);
  }

  private async readState(): Promise<SequencerState> {
    const out = await this.deps.dynamo.send(
      new GetCommand({
        TableName: this.deps.table,
        Key: sequencerStateKey(this.deps.origin),
        ConsistentRead: true,
      }),
    );
    return sequencerStateOf(out.Item);
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }
}

/** The unsigned checkpoint inside a signed note (the sequencer trusts its own store's note). */
export function checkpointOf(note: string): Checkpoint {
  return parseCheckpoint(parseNote(note).text);
}

function uniqueChunks(requests: readonly LeafRequest[]): LeafRequest[] {
  const seen = new Set<string>();
  return requests.filter((request) => {
    const id = `${request.runId}\n${request.chunkId}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function refusalOf(request: LeafRequest, item: Record<string, unknown> | undefined): string {
  if (!item) return `chunk ${request.chunkId} of run ${request.runId} has no item`;
  if (item.state !== 'DONE') return `chunk ${request.chunkId} is ${String(item.state)}, not committed`;
  return `chunk ${request.chunkId} is committed to another log than ${request.leaf.key}`;
}

async function writeAll(store: CachingTileStore, writes: Array<{ path: string; bytes: Uint8Array }>) {
  for (let i = 0; i < writes.length; i += TILE_WRITES_IN_FLIGHT) {
    await Promise.all(writes.slice(i, i + TILE_WRITES_IN_FLIGHT).map((w) => store.write(w.path, w.bytes)));
  }
}
