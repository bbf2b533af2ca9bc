import { afterEach, describe, expect, it, vi } from 'vitest';
import { Interrupt } from '../../../cli/interrupt.js';

describe('Interrupt', () => {
  afterEach(() => vi.useRealTimers());

  it('first SIGINT stops taking work; a second one forces; exit code 130', () => {
    const onStop = vi.fn();
    const onForce = vi.fn();
    const interrupt = new Interrupt({ onStop, onForce });
    expect(interrupt.exitCode).toBeUndefined();
    interrupt.receive('SIGINT');
    expect(interrupt.stop.aborted).toBe(true);
    expect(interrupt.force.aborted).toBe(false);
    expect(onStop).toHaveBeenCalledWith('SIGINT', 30_000);
    interrupt.receive('SIGINT');
    expect(interrupt.force.aborted).toBe(true);
    expect(onForce).toHaveBeenCalledTimes(1);
    interrupt.receive('SIGINT');
    expect(onForce).toHaveBeenCalledTimes(1);
    expect(interrupt.exitCode).toBe(130);
    interrupt.dispose();
  });

  it('forces once the grace period runs out; SIGTERM exits 143', async () => {
    vi.useFakeTimers();
    const interrupt = new Interrupt({ graceMs: { SIGINT: 1000, SIGTERM: 500 } });
    interrupt.receive('SIGTERM');
    const forced = interrupt.forced();
    vi.advanceTimersByTime(499);
    expect(interrupt.force.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    await forced;
    expect(interrupt.exitCode).toBe(143);
    interrupt.dispose();
  });

  it('listens to the process signals only while installed', () => {
    const interrupt = new Interrupt().install();
    const before = process.listenerCount('SIGINT');
    process.emit('SIGINT');
    expect(interrupt.stop.aborted).toBe(true);
    interrupt.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before - 1);
  });
});
