import { describe, expect, it } from 'vitest';
import { attemptOfNonce, envelopeNonce } from '../../../../shared/envelope/envelope-nonce.js';

describe('envelope nonces derived from an attempt salt', () => {
  const salts = [Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(16, 3)];

  it('are stable per salt and object, and differ across objects and salts', () => {
    const a = envelopeNonce(salts[0]!, 'b', 'k', 28);
    expect(a).toHaveLength(28);
    expect(envelopeNonce(salts[0]!, 'b', 'k', 28).equals(a)).toBe(true);
    expect(envelopeNonce(salts[0]!, 'b', 'k2', 28).equals(a)).toBe(false);
    expect(envelopeNonce(salts[1]!, 'b', 'k', 28).equals(a)).toBe(false);
    expect(envelopeNonce(salts[0]!, 'b', 'k', 12).equals(a.subarray(0, 12))).toBe(true);
  });

  it('name the attempt that wrote an object, and no attempt for a foreign nonce', () => {
    expect(attemptOfNonce(salts, 'b', 'k', envelopeNonce(salts[1]!, 'b', 'k', 12))).toBe(1);
    expect(attemptOfNonce(salts, 'b', 'k', Buffer.alloc(12, 9))).toBe(-1);
    expect(() => envelopeNonce(salts[0]!, 'b', 'k', 33)).toThrow(RangeError);
  });
});
