/** What settles runs after a batch: checks each run once and closes the complete ones. */
export interface RunSettler {
  settle(runIds: Iterable<string>): Promise<unknown>;
}

const drivenRuns = new Set<string>();

/**
 * A local run's driver (cli/local-run.ts) looks at its run's counts after each batch and closes
 * the run when it settles (docs/architecture.md, "Counting and closing runs"): the handlers of the
 * same process leave that run's close checks to it while it drives. Returns the undo.
 */
export function driveRun(runId: string): () => void {
  drivenRuns.add(runId);
  return () => drivenRuns.delete(runId);
}

/**
 * A local process's settler: every batch checks its runs, as on Lambda (a process can die right
 * after a batch, so no check is ever deferred), except the runs this process drives itself.
 */
export function leavingDrivenRuns(closer: RunSettler): RunSettler {
  return {
    settle: (runIds) => closer.settle([...runIds].filter((runId) => !drivenRuns.has(runId))),
  };
}
