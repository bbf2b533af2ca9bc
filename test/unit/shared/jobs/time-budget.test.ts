import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../shared/config.js';
import { ConfigError } from '../../../../shared/errors.js';
import { estimatedSeconds, largeObjectThresholdBytes } from '../../../../shared/jobs/time-budget.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('largeObjectThresholdBytes', () => {
  it('is what the throughput moves in the timeout less the margin', () => {
    expect(
      largeObjectThresholdBytes({ bytesPerSecond: 50 * MiB, timeoutSeconds: 300, marginSeconds: 60 }),
    ).toBe(240 * 50 * MiB);
    expect(largeObjectThresholdBytes({ bytesPerSecond: 1000, timeoutSeconds: 10, marginSeconds: 3 })).toBe(
      7000,
    );
  });

  it('is 0 when the margin takes the whole timeout: every object with bytes to move is large', () => {
    expect(
      largeObjectThresholdBytes({ bytesPerSecond: 50 * MiB, timeoutSeconds: 60, marginSeconds: 60 }),
    ).toBe(0);
    expect(
      largeObjectThresholdBytes({ bytesPerSecond: 50 * MiB, timeoutSeconds: 30, marginSeconds: 60 }),
    ).toBe(0);
  });

  it('puts a 20 GiB object on the large-object route with the defaults, and a 1 GiB object not', () => {
    const { largeObjectBytes } = loadConfig({});
    expect(largeObjectBytes).toBe(240 * 50 * MiB); // about 11.7 GiB
    expect(20 * GiB).toBeGreaterThan(largeObjectBytes);
    expect(1 * GiB).toBeLessThan(largeObjectBytes);
  });

  it('rounds the estimated time up', () => {
    expect(estimatedSeconds(20 * GiB, 50 * MiB)).toBe(410);
    expect(estimatedSeconds(1, 50 * MiB)).toBe(1);
  });
});

describe('the large-object settings', () => {
  it('derive the threshold from throughput, timeout and margin', () => {
    const config = loadConfig({
      S3SEAL_LAMBDA_BYTES_PER_SECOND: String(10 * MiB),
      S3SEAL_ENCRYPT_TIMEOUT_SECONDS: '900',
      S3SEAL_LARGE_OBJECT_MARGIN_SECONDS: '100',
    });
    expect(config.largeObjectBytes).toBe(800 * 10 * MiB);
  });

  it('take S3SEAL_LARGE_OBJECT_BYTES over the estimate; empty means derived', () => {
    expect(loadConfig({ S3SEAL_LARGE_OBJECT_BYTES: '7340032' }).largeObjectBytes).toBe(7 * MiB);
    expect(loadConfig({ S3SEAL_LARGE_OBJECT_BYTES: '' }).largeObjectBytes).toBe(240 * 50 * MiB);
  });

  it('refuse a bad value with its name', () => {
    expect(() => loadConfig({ S3SEAL_LAMBDA_BYTES_PER_SECOND: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ S3SEAL_ENCRYPT_TIMEOUT_SECONDS: '901' })).toThrow(
      /S3SEAL_ENCRYPT_TIMEOUT_SECONDS/,
    );
    expect(() => loadConfig({ S3SEAL_LARGE_OBJECT_BYTES: '-1' })).toThrow(/S3SEAL_LARGE_OBJECT_BYTES/);
  });
});
