import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgram } from '../../../../cli/program.js';

// Every refusal below must come before the command builds a client, let alone creates anything.
const runtime = vi.hoisted(() => ({ used: 0 }));
vi.mock('../../../../cli/runtime.js', () => ({
  cliRuntime: () => {
    runtime.used++;
    throw new Error('the command reached the runtime');
  },
}));

describe('options that would be silently ignored are refused', () => {
  afterEach(() => {
    runtime.used = 0;
  });

  it.each([
    [['rotate', '--policies', '--on-demand'], '--on-demand and --wrapped-before are used only with --key'],
    [
      ['rotate', '--policies', '--wrapped-before', '2025-01-01T00:00:00Z'],
      '--on-demand and --wrapped-before are used only',
    ],
    // --before: the older name of --wrapped-before, the same option.
    [
      ['rotate', '--policies', '--before', '2025-01-01T00:00:00Z'],
      '--on-demand and --wrapped-before are used only',
    ],
    [
      ['setup', '--mode', 'sse-s3'],
      '--mode, --key, --s3ec-format and --other-kms-keys are used only with --watch',
    ],
    [['setup', '--other-kms-keys', 'leave'], 'are used only with --watch'],
    [['setup', '--unwatch', 's3://bkt', '--key', 'alias/k'], 'are used only with --watch'],
    [['setup', '--format', 'v2'], 'are used only with --watch'],
    [['setup', '--s3ec-format', 'v2'], 'are used only with --watch'],
    [
      ['setup', '--watch', 's3://bkt', '--unwatch', 's3://bkt', '--mode', 'sse-s3'],
      'give one of --watch and --unwatch',
    ],
    [['setup', '--watch', 's3://bkt'], '--watch needs --mode'],
    [
      ['rotate', '--key', 'alias/k', '--on-demand', '--before', '2025-01-01T00:00:00Z'],
      'not used with --on-demand',
    ],
  ])('%j', async (args, reason) => {
    await expect(createProgram().parseAsync(['node', 's3-seal', ...args])).rejects.toThrow(reason);
    expect(runtime.used).toBe(0);
  });
});
