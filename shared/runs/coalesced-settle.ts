import { logger } from '../logger.js';

/** What settles runs after a batch: checks each run once and closes the complete ones. */
export interface RunSettler {
  settle(runIds: Iterable<string>): Promise<unknown>;
  closeIfComplete(runId: string): Promise<unknown>;
}

/**
 * Close checks of a local process (`worker`, `--local`, `resume`), at most one per run per interval
 * (docs/architecture.md, "Counting and closing runs"). A Lambda invocation checks after every batch,
 * since its process may be frozen once it returns; a local process keeps running, so a check asked
 * for within the interval is not dropped but moved to its end (a trailing check), and `flush` runs
 * those still pending before the process ends. Every commit is followed by a check: the run closes,
 * at most an interval later, with one Query per run per interval instead of one per batch.
 */
export class CoalescedSettler implements RunSettler {
  private readonly last = new Map<string, number>();
  private readonly trailing = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly closer: RunSettler,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async settle(runIds: Iterable<string>): Promise<void> {
    const due: string[] = [];
    for (const runId of new Set(runIds)) {
      // A run this process drives itself (`--local`, `resume`) is looked at and closed by its driver.
      if (drivenRuns.has(runId)) continue;
      const since = this.now() - (this.last.get(runId) ?? Number.NEGATIVE_INFINITY);
      if (since >= this.intervalMs) {
        this.last.set(runId, this.now());
        this.cancelTrailing(runId);
        due.push(runId);
      } else if (!this.trailing.has(runId)) {
        const timer = setTimeout(() => void this.check(runId), this.intervalMs - since);
        timer.unref();
        this.trailing.set(runId, timer);
      }
    }
    if (due.length > 0) await this.closer.settle(due);
  }

  closeIfComplete(runId: string): Promise<unknown> {
    return this.closer.closeIfComplete(runId);
  }

  /** Runs every pending trailing check now (before the process ends). */
  async flush(): Promise<void> {
    const pending = [...this.trailing.keys()];
    await Promise.all(pending.map((runId) => this.check(runId)));
  }

  private async check(runId: string): Promise<void> {
    this.cancelTrailing(runId);
    this.last.set(runId, this.now());
    // A failed trailing check is not the batch's: the next batch of the run, a later check or the
    // local run's own close at its end checks again.
    await this.closer
      .closeIfComplete(runId)
      .catch((error) =>
        logger.warn('close check failed; it is made again later', { runId, error: String(error) }),
      );
  }

  private cancelTrailing(runId: string): void {
    const timer = this.trailing.get(runId);
    if (timer) clearTimeout(timer);
    this.trailing.delete(runId);
  }
}

let processSettlers: CoalescedSettler[] = [];
const drivenRuns = new Set<string>();

/**
 * A local run's driver (cli/local-run.ts) reads its run's counts every second and closes it when it
 * settles: the handlers of the same process leave that run's close checks to it while it drives.
 */
export function driveRun(runId: string): () => void {
  drivenRuns.add(runId);
  return () => drivenRuns.delete(runId);
}

/** A local process's settler over `closer`, flushed by `flushProcessSettlers` before it exits. */
export function coalescedForProcess(closer: RunSettler): CoalescedSettler {
  const settler = new CoalescedSettler(closer);
  processSettlers.push(settler);
  return settler;
}

export async function flushProcessSettlers(): Promise<void> {
  const settlers = processSettlers;
  processSettlers = [];
  await Promise.all(settlers.map((settler) => settler.flush()));
}
