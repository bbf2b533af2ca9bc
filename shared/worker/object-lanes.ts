import pLimit, { type LimitFunction } from 'p-limit';
import { waitWhile } from './wait-while.js';

/** Objects decided at once when nothing sets a bound: a Lambda invocation's chunks are its own. */
const UNBOUNDED = Number.POSITIVE_INFINITY;

let lanes: LimitFunction | undefined;

/**
 * The objects one local process decides at once, over every chunk it holds (docs/architecture.md,
 * "Chunks"). A poller receives up to ten chunk messages of up to 100 objects each, and each chunk
 * decides several objects at once: without a bound shared by the process, four pollers would put
 * hundreds of objects in flight, more than `--pollers` promises (ten objects per poller), and on a
 * saturated endpoint more requests in flight only lengthen each one. Chunks wait for a lane, their
 * leases renewed meanwhile; Lambda invocations are never bounded here.
 */
export function processObjectLanes(): LimitFunction {
  lanes ??= pLimit(UNBOUNDED);
  return lanes;
}

/** Bounds this process to `objects` decisions in flight (the local pollers set it). */
export function limitObjectsInFlight(objects: number): void {
  processObjectLanes().concurrency = objects;
}

/** Objects per lane a process may hold (decided or waiting) before its spare pollers stop taking more. */
const HELD_PER_LANE = 100;

/**
 * Resolves once the process holds objects (its pollers are at work) but fewer than a hundred per
 * lane (or `signal` aborts): when a spare poller may take one more chunk. Its regular pollers each
 * hold a batch until the batch ends, so a chunk left on the queue would otherwise wait for one of
 * them while the lanes run short of work; an idle process leaves the queue to its regular pollers.
 */
export async function untilRoomToHold(signal: AbortSignal): Promise<void> {
  const lanes = processObjectLanes();
  const held = () => lanes.activeCount + lanes.pendingCount;
  await waitWhile(() => held() === 0 || held() >= lanes.concurrency * HELD_PER_LANE, signal);
}
