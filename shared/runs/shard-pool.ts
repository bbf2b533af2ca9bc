import type { ShardState } from './tally-shards.js';

/** One shard of one run, held by one append at a time in this process. */
export interface ShardLease {
  runId: string;
  shard: number;
  /** This process's last knowledge of the shard (undefined: never seen, or believed new). */
  known: ShardState | undefined;
}

/**
 * Which tally shard an append writes (docs/architecture.md, "Counting and closing runs"). A
 * process picks shards at random and keeps them (affinity), so concurrent writers, each a
 * different process, rarely meet on one item; within the process, appends in flight at once each
 * hold a different shard (no conflict with itself), and the shard state each leaves behind is
 * cached, so the next append's conditional update needs no read.
 */
export class ShardPool {
  /** Shards this process has adopted, in adoption order. */
  private readonly adopted: number[] = [];
  private readonly busy = new Set<string>();
  private readonly known = new Map<string, ShardState>();
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly size: number,
    private readonly random: () => number = Math.random,
    /** Cached shard states kept at most (runs this process wrote to, times its shards). */
    private readonly maxCached = 4096,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 100) throw new Error('tally shards: 1 to 100');
  }

  async acquire(runId: string): Promise<ShardLease> {
    for (;;) {
      const free = this.adopted.find((s) => !this.busy.has(slot(runId, s)));
      const shard = free ?? this.adopt();
      if (shard !== undefined) {
        this.busy.add(slot(runId, shard));
        return { runId, shard, known: this.known.get(slot(runId, shard)) };
      }
      // Every shard is in flight in this process for this run: wait for one to come back.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Gives a shard back with what the append learned (undefined: unknown, read it next time). */
  release(lease: ShardLease, state: ShardState | undefined): void {
    const key = slot(lease.runId, lease.shard);
    if (state) {
      if (this.known.size >= this.maxCached && !this.known.has(key)) this.known.clear();
      this.known.set(key, state);
    } else {
      this.known.delete(key);
    }
    this.busy.delete(key);
    // Waiters may want other runs' shards: wake them all to look again.
    for (const wake of this.waiting.splice(0)) wake();
  }

  private adopt(): number | undefined {
    if (this.adopted.length >= this.size) return undefined;
    const left = Array.from({ length: this.size }, (_, i) => i).filter((s) => !this.adopted.includes(s));
    const shard = left[Math.floor(this.random() * left.length)]!;
    this.adopted.push(shard);
    return shard;
  }
}

const slot = (runId: string, shard: number) => `${runId}\u0000${shard}`;

const pools = new Map<number, ShardPool>();

/** This process's pool for `size` shards: every audit log in the process shares its affinity. */
export function processShardPool(size: number): ShardPool {
  const pool = pools.get(size) ?? new ShardPool(size);
  pools.set(size, pool);
  return pool;
}
