export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The shell's convention for a process ended by a signal: 128 + the signal's number. */
export const INTERRUPTED_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * How long in-flight chunks may finish after the first signal before they are given up. SIGTERM's
 * is shorter: container runtimes follow it with SIGKILL after 10 s (Docker's default stop timeout),
 * and chunks given back are what spare the next run a wait.
 */
export const DEFAULT_GRACE_MS: Record<StopSignal, number> = { SIGINT: 30_000, SIGTERM: 8_000 };

/**
 * SIGINT/SIGTERM for a long local command that runs workers: the first signal aborts `stop` (take no
 * new work, let in-flight chunks finish); a second signal, or the end of the grace period, aborts
 * `force` (give up in-flight chunks and give them back). Installed while the command works.
 */
export class Interrupt {
  private readonly stopping = new AbortController();
  private readonly forcing = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** The first signal received, if any. */
  received: StopSignal | undefined;

  constructor(
    private readonly options: {
      graceMs?: Record<StopSignal, number>;
      /** Told of the first signal, to say what happens now. */
      onStop?: (signal: StopSignal, graceMs: number) => void;
      onForce?: (signal: StopSignal) => void;
    } = {},
  ) {}

  private readonly onSigint = () => this.receive('SIGINT');
  private readonly onSigterm = () => this.receive('SIGTERM');

  install(): this {
    process.on('SIGINT', this.onSigint);
    process.on('SIGTERM', this.onSigterm);
    return this;
  }

  dispose(): void {
    process.off('SIGINT', this.onSigint);
    process.off('SIGTERM', this.onSigterm);
    clearTimeout(this.timer);
  }

  get stop(): AbortSignal {
    return this.stopping.signal;
  }

  get force(): AbortSignal {
    return this.forcing.signal;
  }

  /** 130 after SIGINT, 143 after SIGTERM, undefined when no signal came. */
  get exitCode(): number | undefined {
    return this.received ? INTERRUPTED_EXIT[this.received] : undefined;
  }

  /** Resolves once `force` aborts. */
  forced(): Promise<void> {
    return new Promise((resolve) => {
      if (this.force.aborted) resolve();
      this.force.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  receive(signal: StopSignal): void {
    if (this.received === undefined) {
      this.received = signal;
      const graceMs = (this.options.graceMs ?? DEFAULT_GRACE_MS)[signal];
      this.timer = setTimeout(() => this.escalate(signal), graceMs);
      this.timer.unref();
      this.stopping.abort();
      this.options.onStop?.(signal, graceMs);
    } else {
      this.escalate(signal);
    }
  }

  private escalate(signal: StopSignal): void {
    if (this.force.aborted) return;
    clearTimeout(this.timer);
    this.forcing.abort();
    this.options.onForce?.(signal);
  }
}
