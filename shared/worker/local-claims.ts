import type { ChunkRef, ChunkStore } from '../chunks/chunk-store.js';
import { emptyCounts, type Outcome, type OutcomeCounts } from '../runs/run-counts.js';
import { countersOf } from '../runs/tally-shards.js';
import { localOwnerToken, ownerGone } from './process-identity.js';

/** A chunk this process claimed and has not yet committed or given back. */
export interface HeldChunk {
  ref: ChunkRef;
  owner: string;
  /** Epoch milliseconds the claim's lease runs until. */
  leaseUntil: number;
  /** The store that claimed it: the one that gives it back. */
  store: ChunkStore;
  /** The objects it names (0 when the claim did not say). */
  objects: number;
}

/** The chunks held for one run: how many, and until when the longest lease runs. */
export interface RunClaims {
  claims: number;
  leaseUntil?: number;
}

/** A promise and what settles it (Promise.withResolvers, which Node 20 lacks). */
function pending(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

const refOf = ({ runId, chunkId }: ChunkRef): ChunkRef => ({ runId, chunkId });
const heldKey = (ref: ChunkRef, owner: string) => `${ref.runId}\n${ref.chunkId}\n${owner}`;

/**
 * The chunks a local process (`worker`, `encrypt --local`, `resume`) holds (docs/architecture.md,
 * "Deadlines and leases"). Its claims name the process (host, pid, start time), so a later process
 * on the same host can prove them dead and take the chunk over without waiting out the lease; and
 * it keeps the chunks it holds, so an interrupted run gives them back before it exits
 * (docs/commands.md, "Interrupting and resuming").
 */
export class LocalClaims {
  private readonly held = new Map<string, HeldChunk>();
  /** Outcomes this process's commits counted, per run: a local run's progress between its looks. */
  private readonly counted = new Map<string, OutcomeCounts>();
  /** Settles at the next counted commit; one promise per commit, however many wait on it. */
  private commitSeen = pending();

  constructor(
    private readonly isGone: (owner: string | undefined) => boolean = (owner) => ownerGone(owner),
    private readonly token: () => string = () => localOwnerToken(),
  ) {}

  /** A fresh owner token for one attempt. */
  newOwner(): string {
    return this.token();
  }

  /** Whether a chunk's owner is a local process proven to be gone (see ownerGone). */
  ownerGone(owner: string | undefined): boolean {
    return this.isGone(owner);
  }

  list(): HeldChunk[] {
    return [...this.held.values()];
  }

  /**
   * The objects of a run's chunks held now: with what the run has counted, it tells a local run
   * that nothing of it is left on the queues (cli/local-run.ts). A claim that did not say how many
   * objects its chunk names adds none, so this never counts more than is held.
   */
  heldObjects(runId: string): number {
    let objects = 0;
    for (const { ref, objects: n } of this.held.values()) if (ref.runId === runId) objects += n;
    return objects;
  }

  /** The chunks held now, per run. */
  byRun(): Map<string, RunClaims> {
    const runs = new Map<string, RunClaims>();
    for (const { ref, leaseUntil } of this.held.values()) {
      const entry = runs.get(ref.runId) ?? { claims: 0 };
      entry.claims++;
      entry.leaseUntil = Math.max(entry.leaseUntil ?? 0, leaseUntil);
      runs.set(ref.runId, entry);
    }
    return runs;
  }

  /**
   * What this process's own commits (through {@link track}) counted for a run so far, by outcome
   * (reasons not kept): each commit that held, once, as its tally shard counted it.
   */
  committed(runId: string): OutcomeCounts {
    const counts = this.counted.get(runId);
    return counts ? { ...counts, reasons: {} } : emptyCounts();
  }

  /**
   * Settles when this process next counts a commit: a local run's driver wakes on it, so the look
   * that finds its run complete follows the last commit at once rather than at its next wake-up.
   */
  nextCommit(): Promise<void> {
    return this.commitSeen.promise;
  }

  private count(runId: string, decisions: Array<{ decision: Parameters<typeof countersOf>[0] }>): void {
    const counts = this.counted.get(runId) ?? emptyCounts();
    for (const { decision } of decisions) {
      const outcome: Outcome = countersOf(decision).outcome;
      counts[outcome] += 1;
    }
    this.counted.set(runId, counts);
    this.commitSeen.resolve();
    this.commitSeen = pending();
  }

  /**
   * `chunks`, keeping this registry up to date: a chunk claimed through it is held until it is
   * committed or given back through it, whether or not that transition's condition held (a refused
   * one means another attempt took the chunk over: this process no longer holds it either way).
   */
  track(chunks: ChunkStore): ChunkStore {
    const ended = async (ref: ChunkRef, owner: string, ending: Promise<boolean>): Promise<boolean> => {
      try {
        return await ending;
      } finally {
        this.held.delete(heldKey(ref, owner));
      }
    };
    return {
      get: (ref) => chunks.get(ref),
      getMany: (refs) => chunks.getMany(refs),
      listRun: (runId) => chunks.listRun(runId),
      claim: async (input, now) => {
        const result = await chunks.claim(input, now);
        if (result.claimed) {
          const leaseUntil =
            result.item.leaseExpiresAt ?? (now ?? new Date()).getTime() + input.leaseSeconds * 1000;
          const ref = refOf(input);
          this.held.set(heldKey(ref, input.owner), {
            ref,
            owner: input.owner,
            leaseUntil,
            store: chunks,
            objects: input.objects ?? 0,
          });
        }
        return result;
      },
      renew: (ref, owner, leaseSeconds, now) => chunks.renew(ref, owner, leaseSeconds, now),
      commit: (ref, owner, commit, now) =>
        ended(
          ref,
          owner,
          chunks.commit(ref, owner, commit, now).then((counted) => {
            if (counted) this.count(ref.runId, commit.records);
            return counted;
          }),
        ),
      giveBack: (ref, owner, error, now) => ended(ref, owner, chunks.giveBack(ref, owner, error, now)),
    };
  }

  /**
   * Gives every chunk still held back (RETRY, so the next delivery of its message claims it at
   * once). An attempt still running past this point finds its claim gone: its commit is refused, and
   * any write of it that lands was conditional on the ETag it read, so the next attempt (recovering:
   * an earlier attempt never committed) finds the object protected and reconciles it without writing
   * again. Returns how many chunks were given back.
   */
  async releaseAll(reason: string): Promise<number> {
    const held = this.list();
    this.held.clear();
    const given = await Promise.all(held.map((c) => c.store.giveBack(c.ref, c.owner, reason)));
    return given.filter(Boolean).length;
  }
}

let processClaims: LocalClaims | undefined;

/** The chunks of this process, shared by every handler it runs. */
export function localClaims(): LocalClaims {
  processClaims ??= new LocalClaims();
  return processClaims;
}
