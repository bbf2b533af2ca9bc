import { WRAP_KEY_SHARDS } from './wrap-key.js';

/**
 * Which summary item (`keysum#<shard>`, keyArn) this process counts a key's wraps on
 * (docs/architecture.md, "Wrapping-key index"). The shard is no longer the object's: a process
 * picks one per key at random and keeps it (affinity, as the run tally shards do), so a close
 * transaction writes one summary update per key for its whole group, and the many processes of a
 * large run spread a key's updates over the WRAP_KEY_SHARDS items. A key's counts are the sums
 * over all its items; one item alone means nothing and may even go negative.
 */
export class SummaryShardSelector {
  private readonly chosen = new Map<string, number>();

  constructor(
    private readonly random: () => number = Math.random,
    /** Keys remembered at most; forgetting one only moves its next counts to another item. */
    private readonly maxKeys = 4096,
  ) {}

  shardFor(keyArn: string): number {
    const known = this.chosen.get(keyArn);
    if (known !== undefined) return known;
    if (this.chosen.size >= this.maxKeys) this.chosen.clear();
    const shard = Math.min(WRAP_KEY_SHARDS - 1, Math.floor(this.random() * WRAP_KEY_SHARDS));
    this.chosen.set(keyArn, shard);
    return shard;
  }
}

const processSelector = new SummaryShardSelector();

/** This process's summary shard for `keyArn`: every writer in the process shares its affinity. */
export function summaryShardFor(keyArn: string): number {
  return processSelector.shardFor(keyArn);
}
