import { describe, expect, it } from 'vitest';
import { InjectedCrashError } from '../../../shared/errors.js';
import { FAULT_POINTS, Faults, parseFaultSpec } from '../../../shared/faults.js';

describe('fault injection', () => {
  it('parses a spec and names a bad entry', () => {
    expect(parseFaultSpec('crash=0.02, duplicate=0.1,throttle=0.05')).toEqual({
      crash: 0.02,
      duplicate: 0.1,
      throttle: 0.05,
      slow: 0,
      batchretry: 0,
    });
    expect(parseFaultSpec('batchretry=0.2').batchretry).toBe(0.2);
    expect(() => parseFaultSpec('explode=0.1')).toThrow(/unknown fault "explode"/);
    expect(() => parseFaultSpec('crash=2')).toThrow(/crash: rate must be between 0 and 1/);
    expect(parseFaultSpec('crash=0.1,first=1')).toMatchObject({ crash: 0.1, first: true });
    expect(() => parseFaultSpec('first=yes')).toThrow(/fault first: expected 0 or 1/);
  });

  it('with first, makes each armed kind hit at its first chance, a crash at its first object write', () => {
    // random() = 0.99 never draws a fault: only `first` can make these hit.
    const faults = Faults.fromSpec(
      parseFaultSpec('crash=0.01,duplicate=0.01,batchretry=0.01,first=1'),
      'throw',
      () => 0.99,
    );
    faults.check('after-claim');
    expect(() => faults.check('after-s3-write')).toThrow(InjectedCrashError);
    faults.check('after-s3-write');
    expect(faults.roll('duplicate')).toBe(true);
    expect(faults.roll('duplicate')).toBe(false);
    expect(faults.roll('batchretry')).toBe(true);
    // Kinds left at zero stay off.
    expect(faults.roll('throttle')).toBe(false);
    expect(faults.injected).toEqual({ crash: 1, duplicate: 1, throttle: 0, slow: 0, batchretry: 1 });
    const without = Faults.fromSpec(parseFaultSpec('crash=0.01,duplicate=0.01'), 'throw', () => 0.99);
    expect(() => without.check('after-s3-write')).not.toThrow();
    expect(without.roll('duplicate')).toBe(false);
  });

  it('is inert when nothing is armed', () => {
    const faults = Faults.none();
    expect(faults.enabled).toBe(false);
    for (const point of FAULT_POINTS) faults.check(point);
    expect(faults.roll('duplicate')).toBe(false);
    expect(faults.injected).toEqual({ crash: 0, duplicate: 0, throttle: 0, slow: 0, batchretry: 0 });
  });

  it('spreads the crash rate over the crash points and counts what it injects', () => {
    // random() = 0.003 is below 0.02 / 5 = 0.004 per point: every per-chunk check crashes.
    const faults = Faults.fromSpec(parseFaultSpec('crash=0.02,duplicate=0.5'), 'throw', () => 0.003);
    expect(() => faults.check('after-claim')).toThrow(InjectedCrashError);
    // A point passed once per object shares the chance over a chunk's 100 objects (0.00004).
    expect(() => faults.check('after-s3-write')).not.toThrow();
    const perObject = Faults.fromSpec(parseFaultSpec('crash=0.02'), 'throw', () => 0.00003);
    expect(() => perObject.check('after-s3-write')).toThrow(InjectedCrashError);
    expect(faults.roll('duplicate')).toBe(true);
    expect(faults.roll('throttle')).toBe(false);
    expect(faults.injected).toEqual({ crash: 1, duplicate: 1, throttle: 0, slow: 0, batchretry: 0 });
    const rarely = Faults.fromSpec(parseFaultSpec('crash=0.02'), 'throw', () => 0.005);
    expect(() => rarely.check('after-claim')).not.toThrow();
  });
});
