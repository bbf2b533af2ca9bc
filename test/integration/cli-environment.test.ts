import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LOCAL = '`source localstack/local.env` for the local stack';

/**
 * The real CLI with only the given environment: no AWS variables but those named, and a HOME with
 * no ~/.aws, so the SDK finds neither a region nor credentials in a profile.
 */
function runBare(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['bin/s3-seal.js', ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: mkdtempSync(join(tmpdir(), 's3seal-home-')),
      // No instance metadata service to wait for on a laptop or CI runner.
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
}

describe('a missing region or missing credentials', () => {
  it.each([
    [['status']],
    [['encrypt', 's3://any-bucket', '--mode', 'sse-s3']],
    [['verify', 's3://any-bucket']],
  ])('%j without a region: one line saying what to set, exit 1', (args) => {
    const out = runBare(args, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(
      `s3-seal: error: Region is missing: set AWS_REGION (or AWS_PROFILE, a profile with a region), or ${LOCAL}\n`,
    );
  });

  it('without credentials: one line saying what to set, exit 1', () => {
    const out = runBare(['status'], { AWS_REGION: 'us-east-1' });
    expect(out.status).toBe(1);
    expect(out.stderr).toBe(
      `s3-seal: error: CredentialsProviderError: Could not load credentials from any providers: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or ${LOCAL}\n`,
    );
  });
});

describe('one error style', () => {
  it("commander's refusals read like every other failure: s3-seal: error: …", () => {
    const unknown = runBare(['encrypt', 's3://b', '--mode', 'sse-s3', '--nope']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.split('\n')[0]).toBe("s3-seal: error: unknown option '--nope'");
    expect(unknown.stderr).toMatch(/\(add --help for usage\)\n$/);
    const missing = runBare(['encrypt', 's3://b']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.split('\n')[0]).toBe(
      "s3-seal: error: required option '--mode <mode>' not specified",
    );
  });
});
