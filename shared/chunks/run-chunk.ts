import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { LimitFunction } from 'p-limit';
import type { AuditRecord } from '../audit/audit-record.js';
import { describeError, InjectedCrashError, LeaseHeldError, RetryableError } from '../errors.js';
import { Faults } from '../faults.js';
import { decideObject, type ObjectOutcome } from '../lifecycle/decide-object.js';
import type { JobResult } from '../lifecycle/job-result.js';
import type { AttemptView, ObjectDeps, ObjectOperation } from '../lifecycle/object-operation.js';
import type { CommitFeed } from '../transparency/commit-feed.js';
import { leafRequestOf } from '../transparency/leaf-request.js';
import { countedRecordOf, keyArnsOf } from './chunk-counts.js';
import { writeChunkLog } from './chunk-log.js';
import type { AuditLocation, ChunkRecord } from './chunk-log-types.js';
import { type ChunkIntent, membershipDigest } from './chunk-message.js';
import type { ChunkItem, ChunkRef, ChunkStore } from './chunk-store.js';

/** What every chunk message carries, whatever its run does with the objects. */
export interface ChunkMessageCore {
  runId: string;
  chunkId: string;
  intents: ChunkIntent[];
}

/** One kind of chunk (encrypt, rewrap): the operation of each of its objects. */
export interface ChunkKind<M extends ChunkMessageCore> {
  operation(message: M, intent: ChunkIntent, attempt: AttemptView): ObjectOperation<unknown>;
}

/** A local process's view of owners (shared/worker/local-claims.ts): new tokens, dead owners. */
export interface ChunkOwners {
  newOwner(): string;
  ownerGone(owner: string | undefined): boolean;
}

export interface DecidedChunkDeps {
  s3: S3Client;
  chunks: ChunkStore;
  auditLocation: AuditLocation;
  config: ObjectDeps['config'];
  now?: () => Date;
  faults?: Faults;
  /** Local processes name themselves in owners, and take over chunks of processes proven dead. */
  local?: ChunkOwners;
  owner?: string;
  /** Live enforcement: the chunk item expires (TTL) this long after its claim, and after its commit. */
  ttlSeconds?: number;
  /** Where committed chunks go to become leaves of the transparency log. */
  sequencing?: CommitFeed;
}

export interface ChunkDeps extends DecidedChunkDeps, ObjectDeps {
  /** Objects of one chunk decided at once. */
  concurrency?: number;
  /** A bound over every chunk of the process (shared/worker/object-lanes.ts); none on Lambda. */
  objectLanes?: LimitFunction;
}

export type ChunkOutcome =
  | { state: 'committed'; results: JobResult[] }
  | { state: 'duplicate'; detail: string };

export const DEFAULT_CHUNK_CONCURRENCY = 16;

/**
 * Runs one chunk (docs/architecture.md, "Chunks"): claim → per object HEAD → decide →
 * conditional write → one log in S3 → one commit that marks the chunk done and counts every
 * outcome once. Safe to run any number of times: a committed chunk is a duplicate; a chunk whose
 * earlier attempt died is recovered from what S3 shows, never by writing blind.
 *
 * Throws what a retry of the chunk can fix (a passing error, the deadline: the chunk is given back
 * first), LeaseHeldError (live elsewhere) and injected crashes (the claim stays, as after a kill).
 */
export async function runChunk<M extends ChunkMessageCore>(
  message: M,
  kind: ChunkKind<M>,
  deps: ChunkDeps,
): Promise<ChunkOutcome> {
  const ref = { runId: message.runId, chunkId: message.chunkId };
  const claimed = await claimChunk(ref, membershipDigest(message.intents), message.intents.length, deps);
  if ('duplicate' in claimed) return { state: 'duplicate', detail: claimed.duplicate };
  const { item, owner } = claimed;
  const faults = deps.faults ?? Faults.none();
  faults.check('after-claim');
  const salts = item.salts.map((salt) => Buffer.from(salt, 'hex'));
  const attempt: AttemptView = {
    recovering: item.attempt > 1,
    claimedSince: new Date(item.firstClaimedAt),
    salt: salts.at(-1) ?? randomBytes(16),
    earlierSalts: salts.slice(0, -1),
    chunk: ref,
    owner,
  };
  // The lease is renewed while the attempt works: a live attempt longer than one lease (a worker's
  // chunk of big objects) is not taken over, and a crashed one loses its lease within one.
  const heartbeat = leaseHeartbeat(ref, owner, deps);
  const outcomes = await decideAll(message, kind, deps, attempt, heartbeat.lost)
    .finally(heartbeat.stop)
    .catch(async (error) => {
      // A crash leaves the claim as a killed process would; anything else gives the chunk back, so
      // a redelivery takes it at once and decides again from what S3 shows.
      if (!(error instanceof InjectedCrashError)) {
        await deps.chunks.giveBack(ref, owner, describeError(error), now(deps));
      }
      throw error;
    });
  faults.check('before-ledger-finish');
  const decided = outcomes.map((o) => ({ record: o.record, countReason: o.result.reason }));
  const committed = await commitRecords(ref, item.attempt, owner, decided, deps);
  return committed
    ? { state: 'committed', results: outcomes.map((o) => o.result) }
    : { state: 'duplicate', detail: 'chunk taken over' };
}

/**
 * Commits records decided without HEADs (inventory rows the report alone decides) as one chunk:
 * claim, log, commit; a committed chunk is a duplicate.
 */
export async function commitDecidedChunk(
  ref: ChunkRef,
  records: AuditRecord[],
  deps: DecidedChunkDeps,
): Promise<'committed' | 'duplicate'> {
  const membership = membershipDigest(records.map((r) => ({ key: r.key, versionId: r.versionIdBefore })));
  const claimed = await claimChunk(ref, membership, records.length, deps);
  if ('duplicate' in claimed) return 'duplicate';
  const decided = records.map((record) => ({ record }));
  const done = await commitRecords(ref, claimed.item.attempt, claimed.owner, decided, deps);
  return done ? 'committed' : 'duplicate';
}

type Claimed = { item: ChunkItem; owner: string } | { duplicate: string };

async function claimChunk(
  ref: ChunkRef,
  membership: string,
  objects: number,
  deps: DecidedChunkDeps,
): Promise<Claimed> {
  const owner =
    deps.owner ?? deps.local?.newOwner() ?? `${deps.config.actor}:${randomBytes(6).toString('hex')}`;
  const input = {
    ...ref,
    owner,
    membership,
    objects,
    leaseSeconds: deps.config.leaseSeconds,
    ttlSeconds: deps.ttlSeconds,
  };
  let claim = await deps.chunks.claim(input, now(deps));
  // A chunk held by a local process proven dead is taken over now, not after its lease.
  if (
    !claim.claimed &&
    claim.existing.state === 'IN_PROGRESS' &&
    deps.local?.ownerGone(claim.existing.owner)
  ) {
    await deps.chunks.giveBack(ref, claim.existing.owner ?? '', 'owner process gone', now(deps));
    claim = await deps.chunks.claim(input, now(deps));
  }
  if (claim.claimed) return { item: claim.item, owner };
  const held = claim.existing;
  const leaseMs = (held.leaseExpiresAt ?? 0) - now(deps).getTime();
  if (held.state === 'IN_PROGRESS' && leaseMs > 0) {
    // Acknowledging would lose the chunk if that attempt has crashed: come back after its lease.
    const seconds = Math.ceil(leaseMs / 1000);
    throw new LeaseHeldError(`chunk ${ref.chunkId} in progress elsewhere (lease ${seconds}s)`, seconds, ref);
  }
  // Committed, but its leaf may never have been sent (a process died between the two): again.
  if (held.leafIndex === undefined) feedLeaf(deps, held);
  return { duplicate: `chunk ${held.state}` };
}

/** Renews the chunk's lease every third of it; `lost` once a renewal found the chunk no longer ours. */
function leaseHeartbeat(ref: ChunkRef, owner: string, deps: ChunkDeps) {
  const state = { lost: false };
  const periodMs = Math.max(1000, (deps.config.leaseSeconds * 1000) / 3);
  const timer = setInterval(() => {
    deps.chunks
      .renew(ref, owner, deps.config.leaseSeconds, now(deps))
      .then((held) => {
        if (!held) state.lost = true;
      })
      // A failed renewal is retried at the next beat; the lease still has two thirds left.
      .catch(() => undefined);
  }, periodMs);
  timer.unref();
  return { lost: () => state.lost, stop: () => clearInterval(timer) };
}

/** Every intent decided, a few at once; the first retryable error stops new starts and is thrown. */
async function decideAll<M extends ChunkMessageCore>(
  message: M,
  kind: ChunkKind<M>,
  deps: ChunkDeps,
  attempt: AttemptView,
  lost: () => boolean,
): Promise<ObjectOutcome[]> {
  const outcomes: ObjectOutcome[] = new Array(message.intents.length);
  let stopped: unknown;
  /** Decides intent `i` unless the chunk has stopped; false once it has (start no more). */
  const decideOne = async (i: number): Promise<boolean> => {
    // Taken over (a renewal found another owner): start no more objects; the commit will fail.
    if (stopped === undefined && lost())
      stopped = new RetryableError(`chunk ${attempt.chunk.chunkId} was taken over`);
    if (stopped !== undefined) return false;
    try {
      outcomes[i] = await decideObject(kind.operation(message, message.intents[i]!, attempt), deps, attempt);
    } catch (error) {
      // In-flight neighbours finish before the chunk is given back: a write landing after the
      // next attempt's HEAD would be recorded there as superseded.
      stopped ??= error;
    }
    return stopped === undefined;
  };
  if (deps.objectLanes) {
    // The process's lanes bound what is in flight; its chunks queue their objects in full and in
    // order, so the chunk taken first finishes (and commits) first rather than every chunk in hand
    // finishing together at the end (docs/architecture.md, "Flow", objects in flight).
    const lanes = deps.objectLanes;
    await Promise.all(message.intents.map((_, i) => lanes(() => decideOne(i))));
  } else {
    let next = 0;
    const worker = async () => {
      while (next < message.intents.length && (await decideOne(next++)));
    };
    const lanes = Math.min(deps.concurrency ?? DEFAULT_CHUNK_CONCURRENCY, message.intents.length);
    await Promise.all(Array.from({ length: lanes }, worker));
  }
  if (stopped !== undefined) throw stopped instanceof Error ? stopped : new RetryableError(String(stopped));
  return outcomes;
}

/** The attempt's log (written once) and the commit that counts it. False: the chunk was taken over. */
async function commitRecords(
  ref: ChunkRef,
  attempt: number,
  owner: string,
  decided: Array<{ record?: AuditRecord; countReason?: string }>,
  deps: DecidedChunkDeps,
): Promise<boolean> {
  const records: ChunkRecord[] = [];
  const countReasons: Array<string | undefined> = [];
  decided.forEach(({ record, countReason }, position) => {
    if (!record) return; // handed off: its own chunk records it
    records.push({ ...record, chunkId: ref.chunkId, position });
    countReasons.push(countReason);
  });
  const log = await writeChunkLog(deps.s3, deps.auditLocation, { ...ref, attempt }, records);
  const counted = log.lines.map((line, i) => countedRecordOf(line.record, line.hash, countReasons[i]));
  const committed = await deps.chunks.commit(
    ref,
    owner,
    {
      log: { key: log.key, sha256: log.sha256 },
      records: counted,
      keyArns: keyArnsOf(records),
      uploadKeys: records.map((record) => record.key),
      ...(deps.ttlSeconds === undefined ? {} : { ttlSeconds: deps.ttlSeconds }),
    },
    now(deps),
  );
  if (committed) feedLeaf(deps, { ...ref, state: 'DONE', logKey: log.key, logSha256: log.sha256 });
  return committed;
}

/** A committed chunk's log handed to the transparency log (docs/architecture.md, "Transparency log"). */
function feedLeaf(
  deps: DecidedChunkDeps,
  item: ChunkRef & { state: string; logKey?: string; logSha256?: string },
): void {
  const request = leafRequestOf(deps.auditLocation.bucket, item);
  if (request) deps.sequencing?.add(request);
}

const now = (deps: { now?: () => Date }) => (deps.now ?? (() => new Date()))();
