import { describe, expect, it } from 'vitest';
import { waitWhile } from '../../../../shared/worker/wait-while.js';

describe('waitWhile', () => {
  it('resolves once the condition turns false', async () => {
    let checks = 0;
    await waitWhile(() => ++checks < 3, new AbortController().signal);
    expect(checks).toBe(3);
  });

  it('resolves when the signal aborts, whatever the condition', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 30);
    await waitWhile(() => true, stop.signal);
    expect(stop.signal.aborted).toBe(true);
  });
});
