import { afterEach, describe, expect, it } from 'vitest';
import {
  limitObjectsInFlight,
  processObjectLanes,
  untilRoomToHold,
} from '../../../../shared/worker/object-lanes.js';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => limitObjectsInFlight(Number.POSITIVE_INFINITY));

describe('process object lanes', () => {
  it('are unbounded until a bound is set (a Lambda invocation)', async () => {
    const lanes = processObjectLanes();
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        lanes(async () => {
          most = Math.max(most, ++running);
          await tick();
          running--;
        }),
      ),
    );
    expect(most).toBe(50);
  });

  it('hold every caller to the bound, whichever chunk it decides for', async () => {
    limitObjectsInFlight(3);
    const lanes = processObjectLanes();
    let running = 0;
    let most = 0;
    const chunk = (objects: number) =>
      Promise.all(
        Array.from({ length: objects }, () =>
          lanes(async () => {
            most = Math.max(most, ++running);
            await tick();
            running--;
          }),
        ),
      );
    await Promise.all([chunk(10), chunk(10), chunk(10)]);
    expect(most).toBe(3);
  });

  it('leave room to hold more only while the process holds some work, under a hundred objects a lane', async () => {
    limitObjectsInFlight(1);
    const lanes = processObjectLanes();
    const stop = new AbortController();
    let room = false;
    const watching = untilRoomToHold(stop.signal).then(() => {
      room = true;
    });
    await tick(60);
    expect(room).toBe(false); // holding nothing: the regular pollers watch the queue
    const release: Array<() => void> = [];
    const held = Array.from({ length: 100 }, () => lanes(() => new Promise<void>((r) => release.push(r))));
    await tick(60);
    expect(room).toBe(false); // a hundred objects for its one lane: enough in hand
    release.shift()!();
    await watching;
    expect(room).toBe(true);
    while (release.length > 0 || lanes.activeCount + lanes.pendingCount > 0) {
      for (const r of release.splice(0)) r();
      await tick(1);
    }
    await Promise.all(held);
  });

  it('stop waiting for room when the signal aborts', async () => {
    limitObjectsInFlight(1);
    const lanes = processObjectLanes();
    let release!: () => void;
    const held = lanes(() => new Promise<void>((r) => (release = r)));
    const stop = new AbortController();
    const waiting = untilRoomToHold(stop.signal);
    stop.abort();
    await waiting;
    release();
    await held;
  });
});
