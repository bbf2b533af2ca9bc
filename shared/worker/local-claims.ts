import type { Ledger, ObjectRef } from '../ledger/ledger.js';
import { localOwnerToken, ownerGone } from './process-identity.js';

export interface HeldClaim {
  ref: ObjectRef;
  owner: string;
  runId: string;
  /** Epoch milliseconds the claim's lease runs until. */
  leaseUntil: number;
}

/** The claims held for one run: how many, and until when the longest lease runs. */
export interface RunClaims {
  claims: number;
  leaseUntil?: number;
}

const refOf = ({ bucket, key, operation }: ObjectRef): ObjectRef => ({ bucket, key, operation });
const claimKey = (ref: ObjectRef, owner: string) => `${ref.operation}\n${ref.bucket}\n${ref.key}\n${owner}`;

/**
 * The ledger claims a local process (`worker`, `encrypt --local`, `resume`) holds. Its claims name
 * the process (host, pid, start time), so a later process on the same host can prove them dead and
 * take them over without waiting out the lease; and it keeps the claims it holds, so an interrupted
 * run can give them back before it exits (docs/commands.md, "Interrupting and resuming").
 */
export class LocalClaims {
  private readonly held = new Map<string, HeldClaim>();

  constructor(
    private readonly isGone: (owner: string | undefined) => boolean = (owner) => ownerGone(owner),
    private readonly token: () => string = () => localOwnerToken(),
  ) {}

  /** A fresh owner token for one attempt. */
  newOwner(): string {
    return this.token();
  }

  /** Whether a claim's owner is a local process proven to be gone (see ownerGone). */
  ownerGone(owner: string | undefined): boolean {
    return this.isGone(owner);
  }

  add(claim: HeldClaim): void {
    this.held.set(claimKey(claim.ref, claim.owner), { ...claim, ref: refOf(claim.ref) });
  }

  remove(ref: ObjectRef, owner: string): void {
    this.held.delete(claimKey(ref, owner));
  }

  list(): HeldClaim[] {
    return [...this.held.values()];
  }

  /** The claims held now, per run. */
  byRun(): Map<string, RunClaims> {
    const runs = new Map<string, RunClaims>();
    for (const { runId, leaseUntil } of this.held.values()) {
      const entry = runs.get(runId) ?? { claims: 0 };
      entry.claims++;
      entry.leaseUntil = Math.max(entry.leaseUntil ?? 0, leaseUntil);
      runs.set(runId, entry);
    }
    return runs;
  }

  /** `ledger`, keeping this registry up to date with the claims taken and ended through it. */
  track(ledger: Ledger): Ledger {
    const ended = async <T>(ref: ObjectRef, owner: string | undefined, ending: Promise<T>): Promise<T> => {
      try {
        return await ending;
      } finally {
        if (owner) this.remove(ref, owner);
      }
    };
    return {
      get: (ref) => ledger.get(ref),
      claim: async (input, now) => {
        const result = await ledger.claim(input, now);
        if (result.claimed) {
          const leaseUntil = (now ?? new Date()).getTime() + input.leaseSeconds * 1000;
          this.add({ ref: refOf(input), owner: input.owner, runId: input.runId, leaseUntil });
        }
        return result;
      },
      finish: (ref, owner, outcome, now) => ended(ref, owner, ledger.finish(ref, owner, outcome, now)),
      release: (ref, owner, error, now) => ended(ref, owner, ledger.release(ref, owner, error, now)),
      reconcile: (existing, outcome, now) =>
        ended(existing, existing.owner, ledger.reconcile(existing, outcome, now)),
      recordDecision: (input, now) => ledger.recordDecision(input, now),
      recordWrap: (ref, wrap, now) => ledger.recordWrap(ref, wrap, now),
      recordPendingWrap: (ref, digest, now) => ledger.recordPendingWrap(ref, digest, now),
    };
  }

  /**
   * Gives every claim still held back to the ledger (RETRY, so the next delivery claims it at once).
   * A job still running past this point finds its claim gone: its finish is refused, and its write,
   * if one lands, was conditional on the ETag it read, so a retry sees the object protected and
   * records it without writing again. Returns how many claims were released.
   */
  async releaseAll(ledger: Ledger, reason: string): Promise<number> {
    const claims = this.list();
    this.held.clear();
    const released = await Promise.all(claims.map((c) => ledger.release(c.ref, c.owner, reason)));
    return released.filter(Boolean).length;
  }
}

let processClaims: LocalClaims | undefined;

/** The claims of this process, shared by every handler it runs. */
export function localClaims(): LocalClaims {
  processClaims ??= new LocalClaims();
  return processClaims;
}
