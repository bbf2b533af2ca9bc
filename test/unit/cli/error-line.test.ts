import { afterEach, describe, expect, it } from 'vitest';
import { cliErrorLine } from '../../../cli/error-line.js';
import { ConfigError, describeError, RetryableError } from '../../../shared/errors.js';

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('describeError', () => {
  it('keeps an AWS error code, drops the name of a plain Error, and keeps one line', () => {
    expect(describeError(awsError('NoSuchBucket', 'The bucket does not exist'))).toBe(
      'NoSuchBucket: The bucket does not exist',
    );
    expect(describeError(new Error('--watch needs --mode'))).toBe('--watch needs --mode');
    expect(describeError(new ConfigError('first line\nsecond line'))).toBe('first line');
  });
});

describe('cliErrorLine', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("says to run setup when a stage's table is missing, naming the configured tables", () => {
    process.env.S3SEAL_LEDGER_TABLE = 'stage-ledger';
    process.env.S3SEAL_AUDIT_TABLE = 'stage-audit';
    const missing = awsError('ResourceNotFoundException', 'Cannot do operations on a non-existent table');
    expect(cliErrorLine(missing)).toBe(
      'ResourceNotFoundException: Cannot do operations on a non-existent table: a table of this stage (stage-ledger, stage-audit) does not exist: run `s3-seal setup` first',
    );
    // Also when a classified error wraps it.
    expect(cliErrorLine(new RetryableError('ledger read failed', { cause: missing }))).toMatch(
      /^ledger read failed: a table of this stage .* run `s3-seal setup` first$/,
    );
  });

  it('says how to set a region or credentials when the SDK has none, even wrapped by a command', () => {
    const local = '`source localstack/local.env` for the local stack';
    const noRegion = new Error('Region is missing');
    expect(cliErrorLine(noRegion)).toBe(
      `Region is missing: set AWS_REGION (or AWS_PROFILE, a profile with a region), or ${local}`,
    );
    // A queue lookup that failed for want of a region is not a missing queue.
    expect(
      cliErrorLine(
        new ConfigError('queue s3-seal-scan not found: run `s3-seal setup` first', { cause: noRegion }),
      ),
    ).toBe(cliErrorLine(noRegion));
    const noCredentials = awsError(
      'CredentialsProviderError',
      'Could not load credentials from any providers',
    );
    expect(cliErrorLine(new RetryableError('ledger read failed', { cause: noCredentials }))).toBe(
      `CredentialsProviderError: Could not load credentials from any providers: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or ${local}`,
    );
  });

  it('prints any other error as its reason alone', () => {
    expect(cliErrorLine(new ConfigError('bucket b does not exist'))).toBe('bucket b does not exist');
  });
});
