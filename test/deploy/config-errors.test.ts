import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runOsls } from '../helpers/serverless.js';

/**
 * A bad deployment config stops `serverless package` before anything is built, with a message
 * naming the field; a fresh clone packages the example; deploying the example is refused.
 */
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111';
const scratch = mkdtempSync(join(tmpdir(), 's3-seal-config-'));
const cleanup: string[] = [];
afterEach(() => {
  for (const path of cleanup.splice(0)) rmSync(path, { force: true });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function configFile(config: unknown): string {
  const path = join(scratch, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Packages with a config and expects it refused, naming `field` and `reason`. */
function expectRefused(args: string[], field: string, reason: string) {
  const run = runOsls('package', args);
  expect(run.output).toContain(field);
  expect(run.output).toContain(reason);
  expect(run.output).not.toContain('Service packaged');
  expect(run.status).not.toBe(0);
  // Nothing built: no template, no zips.
  expect(existsSync(join(run.packageDir, 'cloudformation-template-update-stack.json'))).toBe(false);
  return run;
}

describe('a bad config file fails packaging with the field named', () => {
  it('unknown mode', () => {
    const config = configFile({ buckets: [{ name: 'my-bucket', mode: 'sse-c', kmsKeyArn: KEY }] });
    expectRefused(['--param', `config=${config}`], 'buckets[0].mode', 'unknown mode "sse-c"');
  });

  it('malformed key ARN', () => {
    const config = configFile({
      buckets: [
        { name: 'my-bucket', mode: 'sse-kms', kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/nope' },
      ],
    });
    expectRefused(['--param', `config=${config}`], 'buckets[0].kmsKeyArn', 'not a KMS key ARN');
  });

  it('missing bucket name, and no buckets at all', () => {
    const unnamed = configFile({ buckets: [{ mode: 'sse-kms', kmsKeyArn: KEY }] });
    expectRefused(['--param', `config=${unnamed}`], 'buckets[0].name', 'required');
    const empty = configFile({ rotation: { schedule: 'rate(1 day)' } });
    expectRefused(['--param', `config=${empty}`], 'buckets', 'required');
  });

  it('a key in another region, through the stage config file deploy/config.<stage>.json', () => {
    const stage = `cfgtest${process.pid}`;
    const path = join(import.meta.dirname, '../../deploy', `config.${stage}.json`);
    cleanup.push(path);
    writeFileSync(
      path,
      JSON.stringify({ buckets: [{ name: 'my-bucket', mode: 'envelope', kmsKeyArn: KEY }] }),
    );
    const run = expectRefused(
      ['--stage', stage, '--region', 'eu-west-1'],
      'buckets[0].kmsKeyArn',
      'key is in us-east-1 but the stack deploys to eu-west-1',
    );
    expect(run.output).toContain(`deploy/config.${stage}.json`);
  });
});

describe('stage params', () => {
  it('name the param in the error', () => {
    const run = expectRefused(
      ['--param', 'mode=sse-x', '--param', 'kmsKeyArn=alias/my-key'],
      '--param mode',
      'unknown mode "sse-x"',
    );
    expect(run.output).toContain('--param kmsKeyArn');
    expect(run.output).toContain('--param bucket');
  });

  it('package a one-bucket stage without a config file', () => {
    const run = runOsls('package', [
      '--stage',
      'params',
      '--param',
      'bucket=my-bucket',
      '--param',
      `kmsKeyArn=${KEY}`,
    ]);
    expect(run.output).toContain('Service packaged');
    expect(run.status).toBe(0);
  });
});

describe('defaults', () => {
  it('a fresh clone packages the example config, and says so', () => {
    const run = runOsls('package', []);
    expect(run.output).toContain('Service packaged');
    expect(run.output).toContain('packages deploy/config.example.json');
    expect(run.status).toBe(0);
  });

  it('deploying the example config is refused before any AWS call', () => {
    const run = runOsls('deploy', []);
    expect(run.output).toContain('refusing to deploy deploy/config.example.json');
    expect(run.status).not.toBe(0);
  });
});
