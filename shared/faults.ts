import { MAX_CHUNK_INTENTS } from './chunks/chunk-message.js';
import { InjectedCrashError } from './errors.js';
import { writeNow } from './process-output.js';

/** Named points in the encrypt path where a crash can be injected to prove recovery. */
export const FAULT_POINTS = [
  'after-claim',
  'after-data-key',
  'after-s3-write',
  'before-ledger-finish',
  'before-sqs-delete',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** Points a chunk attempt passes once per object (the others once per chunk or message). */
const PER_OBJECT_POINTS: ReadonlySet<FaultPoint> = new Set(['after-data-key', 'after-s3-write']);

/**
 * What `S3SEAL_FAULTS` arms, e.g. `crash=0.02,duplicate=0.1,throttle=0.05,slow=0.01`: the chance
 * that a job crashes the process (spread over the crash points), that a received message is
 * delivered a second time, that a KMS or S3 call is throttled, that a call is slowed by 2 s, or
 * (`batchretry`) that a handler's after-batch step fails once its records are done, so the whole
 * batch is retried as Lambda retries a batch whose invocation failed.
 */
export interface FaultRates {
  crash: number;
  duplicate: number;
  throttle: number;
  slow: number;
  batchretry: number;
}

/**
 * The rates, and `first` (`first=1` in the spec): every armed kind hits at its first chance in the
 * process, a crash at its first object write (FORCED_CRASH_POINT). A soak whose random draws
 * happened to miss a kind would prove nothing about it; `first` makes each kind certain.
 */
export interface FaultSpec extends FaultRates {
  first?: boolean;
}

export const NO_FAULTS: Readonly<FaultRates> = {
  crash: 0,
  duplicate: 0,
  throttle: 0,
  slow: 0,
  batchretry: 0,
};

export type FaultKind = keyof FaultRates;

const FAULT_KINDS = Object.keys(NO_FAULTS) as FaultKind[];

/**
 * Where `first` puts its crash: a write has landed and its chunk is not committed, so the next
 * attempt must reconcile it from what S3 shows (the recovery that matters most).
 */
export const FORCED_CRASH_POINT: FaultPoint = 'after-s3-write';

export function parseFaultSpec(spec: string): FaultSpec {
  const parsed: FaultSpec = { ...NO_FAULTS };
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split('=');
    if (name === 'first') {
      if (value !== '0' && value !== '1') throw new Error(`fault first: expected 0 or 1, got "${value}"`);
      parsed.first = value === '1';
      continue;
    }
    const rate = Number(value);
    if (!name || !FAULT_KINDS.includes(name as FaultKind)) {
      throw new Error(`unknown fault "${name}" (expected ${[...FAULT_KINDS, 'first'].join(', ')})`);
    }
    if (!(rate >= 0 && rate <= 1))
      throw new Error(`fault ${name}: rate must be between 0 and 1, got "${value}"`);
    parsed[name as FaultKind] = rate;
  }
  return parsed;
}

/**
 * Fault injection that production code can carry: with nothing armed (the default), every check
 * does nothing. Tests arm crash points (thrown as InjectedCrashError); the soak arms a spec whose
 * crashes end the process on the spot, as a Lambda timeout or an OOM kill would.
 */
export class Faults {
  readonly injected: Record<FaultKind, number> = { ...NO_FAULTS };
  /** S3 uploads this process has in flight (holdCrashesDuringUploads): a crash that exits waits for none. */
  uploadsInFlight = 0;
  /**
   * Crashes drawn while an upload was mid-body, held until the uploads in flight land (no new one
   * starts meanwhile): the process then dies as drawn. Reported, so the delay shows.
   */
  crashesHeld = 0;
  /** A crash drawn and held: the point it was drawn at, until the last upload in flight lands. */
  heldCrash?: FaultPoint;
  /** With `first`: the armed kinds that have not hit yet, each sure to at its next chance. */
  private readonly firstPending: Set<FaultKind>;

  constructor(
    private readonly armed: Partial<Record<FaultPoint, number>> = {},
    private readonly random: () => number = Math.random,
    private readonly spec: FaultSpec = { ...NO_FAULTS },
    private readonly onCrash: 'throw' | 'exit' = 'throw',
  ) {
    this.firstPending = new Set(spec.first ? FAULT_KINDS.filter((kind) => spec[kind] > 0) : []);
  }

  static none(): Faults {
    return new Faults();
  }

  /**
   * Crashes are spread evenly over the crash points, so about `crash` of all chunk attempts crash:
   * the points an attempt passes once per object share their chance over a chunk's objects.
   */
  static fromSpec(spec: FaultSpec, onCrash: 'throw' | 'exit' = 'exit', random = Math.random): Faults {
    const perPoint = spec.crash / FAULT_POINTS.length;
    const rateOf = (point: FaultPoint) =>
      PER_OBJECT_POINTS.has(point) ? perPoint / MAX_CHUNK_INTENTS : perPoint;
    return new Faults(Object.fromEntries(FAULT_POINTS.map((p) => [p, rateOf(p)])), random, spec, onCrash);
  }

  get enabled(): boolean {
    return FAULT_KINDS.some((kind) => this.spec[kind] > 0) || Object.keys(this.armed).length > 0;
  }

  check(point: FaultPoint): void {
    const rate = this.armed[point];
    if (rate === undefined || rate <= 0) return;
    const forced = point === FORCED_CRASH_POINT && this.firstPending.delete('crash');
    if (!forced && this.random() >= rate) return;
    // Held: exiting now would cut an upload's body off (see holdCrashesDuringUploads). No upload
    // starts any more, and the process dies when the last one in flight lands (uploadLanded).
    if (this.onCrash === 'exit' && this.uploadsInFlight > 0) {
      if (this.heldCrash === undefined) {
        this.crashesHeld++;
        this.heldCrash = point;
      }
      return;
    }
    this.crash(point);
  }

  /** After an upload landed: a held crash happens once none is in flight. */
  uploadLanded(): void {
    if (this.heldCrash !== undefined && this.uploadsInFlight === 0) this.crash(this.heldCrash);
  }

  private crash(point: FaultPoint): never {
    this.injected.crash++;
    if (this.onCrash === 'exit') {
      writeNow(process.stderr.fd, `fault: crash at ${point}\n${this.report()}\n`);
      process.exit(70);
    }
    throw new InjectedCrashError(point);
  }

  /** The `fault-stats` line a process prints as it ends: what it injected, and the crashes it held. */
  report(): string {
    return `fault-stats ${JSON.stringify({ ...this.injected, crashHeld: this.crashesHeld })}`;
  }

  /** Whether to inject `kind` now (duplicate, throttle, slow); counts what it injects. */
  roll(kind: Exclude<FaultKind, 'crash'>): boolean {
    const hit = this.spec[kind] > 0 && (this.firstPending.delete(kind) || this.random() < this.spec[kind]);
    if (hit) this.injected[kind]++;
    return hit;
  }
}

let processFaults: Faults | undefined;

/** The faults this process runs with, from configuration: none unless S3SEAL_FAULTS arms some. */
export function faultsFor(spec: FaultSpec | undefined): Faults {
  processFaults ??= spec ? Faults.fromSpec(spec) : Faults.none();
  return processFaults;
}
