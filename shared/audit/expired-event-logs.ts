import { createHash } from 'node:crypto';

/** 64 bits of SHA-256: among 10^7 keys the chance of any two colliding is about 3 in a million. */
export function logFingerprint(key: string): bigint {
  return createHash('sha256').update(key).digest().readBigUInt64BE(0);
}

/**
 * The expired event chunks' logs `audit verify --all` found in its trail pass, handed to its
 * transparency log pass (docs/audit.md, "Expired event chunks"), which must find a leaf naming each.
 * Kept as 64-bit fingerprints of their keys in one growing typed array, sorted once the trail pass
 * is done, and one bit each for "a leaf names it": about 8 bytes per expired log (8 MB at 10^6),
 * where a Set of key strings would take well over 100 bytes each. A log no leaf names is named
 * again by listing its run once more (the runs are kept: one per watched bucket and day).
 */
export class ExpiredEventLogs {
  private prints = new BigUint64Array(1024);
  private size = 0;
  private named: Uint8Array | undefined;
  /** The runs that hold expired logs, to list again when one has no leaf. */
  readonly runs = new Set<string>();

  get count(): number {
    return this.size;
  }

  add(runId: string, key: string): void {
    if (this.named) throw new TypeError('expired logs are added before they are looked up');
    if (this.size === this.prints.length) {
      const grown = new BigUint64Array(this.prints.length * 2);
      grown.set(this.prints);
      this.prints = grown;
    }
    this.prints[this.size++] = logFingerprint(key);
    this.runs.add(runId);
  }

  /**
   * A leaf names `key`: 'first' when it is an expired log no earlier call named, 'again' when one
   * did (a second leaf of the same log), undefined when it is not an expired log.
   */
  claim(key: string): 'first' | 'again' | undefined {
    const at = this.indexOf(logFingerprint(key));
    if (at < 0) return undefined;
    const named = this.named!;
    const bit = 1 << (at % 8);
    if (named[at >> 3]! & bit) return 'again';
    named[at >> 3]! |= bit;
    return 'first';
  }

  /** The fingerprints of the expired logs no leaf named. */
  unnamed(): Set<bigint> {
    this.seal();
    const left = new Set<bigint>();
    for (let i = 0; i < this.size; i++)
      if (!(this.named![i >> 3]! & (1 << (i % 8)))) left.add(this.prints[i]!);
    return left;
  }

  private seal(): void {
    if (this.named) return;
    this.prints = this.prints.slice(0, this.size).sort();
    this.named = new Uint8Array(Math.ceil(this.size / 8));
  }

  private indexOf(print: bigint): number {
    this.seal();
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const value = this.prints[mid]!;
      if (value === print) return mid;
      if (value < print) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }
}
