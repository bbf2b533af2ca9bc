import { OUTCOMES, type OutcomeCounts, type Run, settled } from '../shared/runs/run-store.js';

/** What the local driver knows of its own process at one wake-up (cli/local-run.ts). */
export interface LocalState {
  now: number;
  /** Batches this process's pollers have finished so far. */
  batches: number;
  /** Chunks of the run this process holds claimed now. */
  claims: number;
  /** What this process's own commits have counted for the run so far (LocalClaims.committed). */
  committed: OutcomeCounts;
}

export interface LookTiming {
  /** Holding nothing of the run: look this often (stalls, other processes' work, the scan). */
  idleMs: number;
  /**
   * Holding chunks of the run: look this often (the progress line runs on estimates between; a
   * look then only catches up with other processes' work, or a scan that failed).
   */
  busyMs: number;
  /** A look prompted by a finished batch comes at least this long after the previous one. */
  afterBatchMs: number;
}

export const LOOK_TIMING: LookTiming = { idleMs: 2000, busyMs: 30_000, afterBatchMs: 1000 };

/**
 * When a local run's driver looks at its run (docs/architecture.md, "Counting and closing runs"):
 * each look is a consistent Query of the run item and its tally shards, so on a small run the
 * looks are a large share of its DynamoDB requests. It looks when its own commits bring the count
 * it last read up to the objects discovered (the run is likely complete); after a batch finished
 * when it holds no chunk of the run any more (its work in hand is done), or when it has not looked
 * yet; and otherwise every `idleMs` while it holds nothing, every `busyMs` while it works. Only a
 * look decides anything (completion, a failed scan, a stall): between looks the progress line
 * shows the last look plus what this process's own commits counted since ({@link estimate}).
 */
export class RunLooks {
  private last: { at: number; batches: number; committed: number; run?: Run };

  constructor(
    started: number,
    private readonly timing: LookTiming = LOOK_TIMING,
  ) {
    this.last = { at: started, batches: 0, committed: 0 };
  }

  due(state: LocalState): boolean {
    const { run } = this.last;
    const since = state.now - this.last.at;
    const committedSince = settled(state.committed) - this.last.committed;
    if (run?.scanComplete && committedSince > 0 && settled(run.counts) + committedSince >= run.discovered)
      return true;
    const batchFinished = state.batches > this.last.batches;
    if (batchFinished && (state.claims === 0 || !run) && since >= this.timing.afterBatchMs) return true;
    return since >= (state.claims === 0 ? this.timing.idleMs : this.timing.busyMs);
  }

  /** Records a look: `state` as it was read just before the look's Query. */
  looked(run: Run, state: LocalState): void {
    this.last = { at: state.now, batches: state.batches, committed: settled(state.committed), run };
    this.base = state.committed;
  }

  /**
   * The run as the last look read it plus what this process counted since: a lower bound of what
   * its shards hold now when this process is the only one counting (a commit that landed just
   * before the look may be counted twice: it is shown for progress, never decided on).
   */
  estimate(state: LocalState): Run | undefined {
    const { run } = this.last;
    if (!run) return undefined;
    const counts = { ...run.counts };
    for (const outcome of OUTCOMES) counts[outcome] += state.committed[outcome] - this.base[outcome];
    return { ...run, counts };
  }

  private base: OutcomeCounts = {
    encrypted: 0,
    compliant: 0,
    skipped: 0,
    superseded: 0,
    failed: 0,
    reasons: {},
  };
}
