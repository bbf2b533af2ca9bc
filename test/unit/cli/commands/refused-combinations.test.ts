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
    [['plan', '--mode', 'sse-s3'], 'give s3://BUCKET[/PREFIX], or --all-buckets'],
    [
      ['plan', 's3://bkt', '--all-buckets', '--mode', 'sse-s3'],
      'give s3://BUCKET or --all-buckets, not both',
    ],
    [
      ['plan', 's3://bkt', '--bucket-prefix', 'a', '--mode', 'sse-s3'],
      '--bucket-prefix is used only with --all-buckets',
    ],
    [
      ['plan', 's3://bkt', '--bucket-tag', 'a=b', '--mode', 'sse-s3'],
      '--bucket-tag is used only with --all-buckets',
    ],
    [['plan', '--all-buckets', '--bucket-tag', '=b', '--mode', 'sse-s3'], '--bucket-tag takes KEY=VALUE'],
    [
      ['plan', '--all-buckets', '--inventory', 's3://i/manifest.json', '--mode', 'sse-s3'],
      '--prefix and --inventory name one bucket: not used with --all-buckets',
    ],
    [
      ['verify', 's3://bkt', '--bucket-concurrency', '4'],
      '--bucket-concurrency is used only with --all-buckets',
    ],
    [['verify', 's3://bkt', '--json'], '--json is used only with --all-buckets'],
    [['verify', '--all-buckets', '--versions'], 'not used with --all-buckets'],
    [['verify'], 'give s3://BUCKET[/PREFIX], or --all-buckets'],
    [['encrypt', '--mode', 'sse-s3'], 'give s3://BUCKET[/PREFIX] (one or more), or --all-buckets'],
    [['encrypt', 's3://a', '--yes', '--mode', 'sse-s3'], '--yes is used only with --all-buckets'],
    [
      ['encrypt', 's3://bkt-a', 's3://bkt-b', '--inventory', 's3://i/manifest.json', '--mode', 'sse-s3'],
      '--inventory is the report of one bucket',
    ],
    [['encrypt', 's3://a', '--all-buckets', '--mode', 'sse-s3'], 'not both'],
    [
      ['setup', '--watch', 's3://bkt', '--mode', 'envelope', '--key', 'k', '--deny-unencrypted'],
      '--deny-unencrypted and --no-default-encryption are for --mode sse-kms and sse-s3',
    ],
    [['setup', '--no-default-encryption'], 'are used only with --watch'],
  ])('%j', async (args, reason) => {
    await expect(createProgram().parseAsync(['node', 's3-seal', ...args])).rejects.toThrow(reason);
    expect(runtime.used).toBe(0);
  });
});
