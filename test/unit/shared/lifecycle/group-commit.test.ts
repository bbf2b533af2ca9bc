import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../../shared/lifecycle/group-commit.js';

/** A group with one stage that records the groups it flushed and answers each item doubled. */
function groupWithStage(options: { windowMs?: number; maxItems?: number } = {}) {
  const group = new GroupCommit({ windowMs: options.windowMs ?? 1000 });
  const flushed: number[][] = [];
  const stage = group.stage(
    async (items: number[]) => {
      flushed.push(items);
      return items.map((n) => n * 2);
    },
    { maxItems: options.maxItems ?? 100 },
  );
  return { group, stage, flushed };
}

describe('GroupCommit', () => {
  it('flushes once every job in flight is parked: one round trip for the whole batch', async () => {
    const { group, stage, flushed } = groupWithStage();
    const started = performance.now();
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        group.run(async () => {
          await sleep(n * 5); // the jobs reach the stage at different times
          return stage.submit(n);
        }),
      ),
    );
    expect(results).toEqual([2, 4, 6]);
    expect(flushed).toEqual([[1, 2, 3]]);
    // Not the 1 s window: the last job to park released the group.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('waits for a job busy elsewhere no longer than its window', async () => {
    const { group, stage, flushed } = groupWithStage({ windowMs: 30 });
    let slowDone = false;
    const slow = group.run(async () => {
      await sleep(300);
      slowDone = true;
    });
    const fast = group.run(() => stage.submit(7));
    expect(await fast).toBe(14);
    expect(slowDone).toBe(false);
    expect(flushed).toEqual([[7]]);
    await slow;
  });

  it('flushes when a stage holds its most items, without waiting for the rest', async () => {
    const { group, stage, flushed } = groupWithStage({ maxItems: 2 });
    const jobs = [1, 2, 3, 4, 5].map((n) => group.run(() => stage.submit(n)));
    await Promise.all(jobs);
    expect(flushed.map((f) => f.length).sort()).toEqual([1, 2, 2]);
    expect(flushed.flat().sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('sends a call from outside any job at once, alone', async () => {
    const { stage, flushed } = groupWithStage();
    expect(await stage.submit(4)).toBe(8);
    expect(flushed).toEqual([[4]]);
  });

  it('gives every parked job the error of a failed flush', async () => {
    const group = new GroupCommit({ windowMs: 1000 });
    const stage = group.stage(
      async (_items: number[]): Promise<number[]> => {
        throw new Error('throttled');
      },
      { maxItems: 10 },
    );
    const results = await Promise.allSettled([1, 2].map((n) => group.run(() => stage.submit(n))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(group.jobsInFlight).toBe(0);
  });

  it('flushes the jobs parked at two stages when the last job in flight parks', async () => {
    const group = new GroupCommit({ windowMs: 1000 });
    const flushed: string[] = [];
    const claims = group.stage(
      async (items: string[]) => {
        flushed.push(`claims:${items.join()}`);
        return items;
      },
      { maxItems: 10 },
    );
    const closes = group.stage(
      async (items: string[]) => {
        flushed.push(`closes:${items.join()}`);
        return items;
      },
      { maxItems: 10 },
    );
    const started = performance.now();
    await Promise.all([group.run(() => claims.submit('a')), group.run(() => closes.submit('b'))]);
    expect(flushed.sort()).toEqual(['claims:a', 'closes:b']);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('keeps one group in flight per stage: jobs that park meanwhile go together in the next', async () => {
    const group = new GroupCommit({ windowMs: 5 });
    const flushed: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const stage = group.stage(
      async (items: number[]) => {
        inFlight++;
        most = Math.max(most, inFlight);
        flushed.push(items);
        await sleep(40);
        inFlight--;
        return items;
      },
      { maxItems: 3 },
    );
    const first = stage.submit(0);
    await sleep(10); // the first group is in flight
    const later = [1, 2, 3, 4, 5].map((n) => stage.submit(n));
    await Promise.all([first, ...later]);
    expect(most).toBe(1);
    expect(flushed).toEqual([[0], [1, 2, 3], [4, 5]]);
  });
});
