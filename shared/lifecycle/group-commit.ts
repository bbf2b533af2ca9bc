/**
 * Group commit for the jobs a process runs at once (docs/architecture.md, "Batch-first storage"):
 * jobs of one SQS batch (and of every batch this process has in flight) reach the same DynamoDB
 * step at about the same time, so their writes can share one round trip. A job that reaches a
 * stage parks there; the stage flushes when every job in flight is parked (nothing else can add to
 * it), when it holds `maxItems`, or after `windowMs` (a job busy with S3 elsewhere delays the
 * others by at most that).
 *
 * A job that never entered (a direct call outside a handler) finds no one to wait for: its stage
 * flushes at once, with it alone.
 */
export interface GroupCommitOptions {
  /** The longest a parked job waits for others (milliseconds). */
  windowMs?: number;
}

export const DEFAULT_GROUP_WINDOW_MS = 25;

interface Parked<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/** One step jobs share a round trip for: `flush` gets the parked items, returns one result each. */
export class GroupStage<T, R> {
  private parked: Array<Parked<T, R>> = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly group: GroupCommit,
    private readonly flushItems: (items: T[]) => Promise<R[]>,
    private readonly maxItems: number,
  ) {}

  get size(): number {
    return this.parked.length;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.parked.push({ item, resolve, reject });
      this.group.parkedChanged(1);
      if (this.parked.length >= this.maxItems) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.group.windowMs);
    });
  }

  /**
   * Sends what is parked as one group (at most `maxItems`); each job gets its own result (or the
   * group's error). One group is in flight per stage at a time: jobs that park meanwhile go in the
   * next group, sent as soon as this one returns. That keeps a process's own transactions from
   * meeting on one item (a run's tally shard, a key's summary) and makes groups larger under load.
   */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.parked.length === 0) return;
    const batch = this.parked.splice(0, this.maxItems);
    this.flushing = true;
    this.group.parkedChanged(-batch.length);
    this.flushItems(batch.map((p) => p.item))
      .then(
        (results) => {
          batch.forEach((p, i) => {
            p.resolve(results[i] as R);
          });
        },
        (error) => {
          for (const p of batch) p.reject(error);
        },
      )
      .finally(() => {
        this.flushing = false;
        this.flush();
      });
  }
}

/** The jobs in flight in one process, and the stages they share (see the module comment). */
export class GroupCommit {
  readonly windowMs: number;
  private inFlight = 0;
  private parked = 0;
  private readonly stages: Array<GroupStage<never, unknown>> = [];

  constructor(options: GroupCommitOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_GROUP_WINDOW_MS;
  }

  stage<T, R>(flush: (items: T[]) => Promise<R[]>, options: { maxItems: number }): GroupStage<T, R> {
    const stage = new GroupStage<T, R>(this, flush, options.maxItems);
    this.stages.push(stage as unknown as GroupStage<never, unknown>);
    return stage;
  }

  /** Runs one job as in flight: stages wait for it (up to their window) before flushing. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await job();
    } finally {
      this.inFlight--;
      this.flushIfAllParked();
    }
  }

  get jobsInFlight(): number {
    return this.inFlight;
  }

  /** @internal Called by stages as jobs park and leave. */
  parkedChanged(delta: number): void {
    this.parked += delta;
    if (delta > 0) this.flushIfAllParked();
  }

  private flushIfAllParked(): void {
    if (this.parked === 0 || this.parked < this.inFlight) return;
    // Deferred a tick: a job that parks, and the stage that parks it, finish their own step first.
    queueMicrotask(() => {
      if (this.parked === 0 || this.parked < this.inFlight) return;
      for (const stage of this.stages) stage.flush();
    });
  }
}

let processGroup: GroupCommit | undefined;

/** This process's group: every handler it runs shares it, so their jobs' writes can meet. */
export function processGroupCommit(windowMs = DEFAULT_GROUP_WINDOW_MS): GroupCommit {
  processGroup ??= new GroupCommit({ windowMs });
  return processGroup;
}
