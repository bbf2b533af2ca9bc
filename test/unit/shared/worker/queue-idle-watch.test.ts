import { describe, expect, it, vi } from 'vitest';
import { QueueIdleWatch } from '../../../../shared/worker/queue-idle-watch.js';

/** A watch on a clock the test moves, over queues of depth `depth` and a batch counter. */
function watch(depth: number[]) {
  const clock = { now: 0, handled: 0 };
  const asked = vi.fn(async () => depth.shift() ?? 0);
  const idle = new QueueIdleWatch({
    depth: asked,
    handled: () => clock.handled,
    minAskIntervalMs: 1000,
    now: () => clock.now,
  });
  return { idle, clock, asked };
}

describe('QueueIdleWatch', () => {
  it('asks SQS nothing while batches keep finishing', async () => {
    const { idle, clock, asked } = watch([]);
    for (let t = 0; t < 20_000; t += 250) {
      clock.now = t;
      if (t % 750 === 0) clock.handled++;
      expect(await idle.quietMs()).toBeUndefined();
    }
    expect(asked).not.toHaveBeenCalled();
  });

  it('asks at most once a second once batches stop, and counts quiet between empty looks', async () => {
    const { idle, clock, asked } = watch([3, 0, 0, 0]);
    const seen: Array<number | undefined> = [];
    for (let t = 0; t <= 5000; t += 250) {
      clock.now = t;
      seen.push(await idle.quietMs());
    }
    // Looks at 1 s (3 waiting), 2 s, 3 s, 4 s (empty) and 5 s (empty).
    expect(asked).toHaveBeenCalledTimes(5);
    expect(seen.at(-1)).toBe(3000);
    expect(seen[8]).toBe(0); // 2 s: the first empty look
    expect(seen[4]).toBeUndefined(); // 1 s: messages waiting
  });

  it('starts counting again after a batch finishes', async () => {
    const { idle, clock } = watch([0, 0, 0]);
    clock.now = 0;
    await idle.quietMs();
    clock.now = 1000;
    expect(await idle.quietMs()).toBe(0);
    clock.now = 2000;
    expect(await idle.quietMs()).toBe(1000);
    clock.handled++;
    clock.now = 2100;
    expect(await idle.quietMs()).toBeUndefined();
    clock.now = 3100;
    expect(await idle.quietMs()).toBe(0);
  });
});
