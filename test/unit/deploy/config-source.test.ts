import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../deploy/config.js';
import { resolveConfigSource } from '../../../deploy/config-source.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111';
const EXAMPLE = { buckets: [{ name: 'example-bucket', mode: 'sse-s3' }] };

/** A throwaway service directory holding deploy/config.example.json and the given files. */
function serviceDir(files: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 's3-seal-service-'));
  mkdirSync(join(dir, 'deploy'));
  for (const [name, content] of Object.entries({ 'deploy/config.example.json': EXAMPLE, ...files })) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

/** Resolves and validates, returning the message of the ConfigError it throws. */
function refusal(dir: string, params: Record<string, string>): string {
  try {
    const found = resolveConfigSource({ serviceDir: dir, stage: 'prod', params });
    parseDeployConfig(found.input, {
      region: 'us-east-1',
      source: found.source,
      fieldLabel: found.fieldLabel,
    });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfigSource', () => {
  it('reads deploy/config.<stage>.json when it exists', () => {
    const dir = serviceDir({
      'deploy/config.prod.json': { buckets: [{ name: 'prod-bucket', mode: 'sse-s3' }] },
    });
    const found = resolveConfigSource({ serviceDir: dir, stage: 'prod' });
    expect(found).toMatchObject({ source: 'deploy/config.prod.json', example: false });
    expect(found.input).toEqual({ buckets: [{ name: 'prod-bucket', mode: 'sse-s3' }] });
  });

  it('falls back to the example, marked as such, when the stage has no config', () => {
    const found = resolveConfigSource({ serviceDir: serviceDir(), stage: 'prod' });
    expect(found).toMatchObject({ source: 'deploy/config.example.json', example: true, input: EXAMPLE });
  });

  it('prefers --param config over S3SEAL_DEPLOY_CONFIG over the stage file, and a named file must exist', () => {
    const dir = serviceDir({
      'deploy/config.prod.json': EXAMPLE,
      'a.json': { buckets: [{ name: 'from-param', mode: 'sse-s3' }] },
      'b.json': { buckets: [{ name: 'from-env', mode: 'sse-s3' }] },
    });
    expect(
      resolveConfigSource({
        serviceDir: dir,
        stage: 'prod',
        configPath: 'b.json',
        params: { config: 'a.json' },
      }).source,
    ).toBe('a.json');
    expect(resolveConfigSource({ serviceDir: dir, stage: 'prod', configPath: 'b.json' }).source).toBe(
      'b.json',
    );
    expect(() => resolveConfigSource({ serviceDir: dir, stage: 'prod', configPath: 'missing.json' })).toThrow(
      'deployment config missing.json not found',
    );
  });

  it('names a file that is not a JSON object', () => {
    const dir = serviceDir({ 'deploy/config.prod.json': '{ "buckets": [' });
    expect(() => resolveConfigSource({ serviceDir: dir, stage: 'prod' })).toThrow(
      'deployment config deploy/config.prod.json is not JSON',
    );
  });

  it('builds a one-bucket config from params alone, overriding the file', () => {
    const dir = serviceDir({
      'deploy/config.prod.json': { buckets: [{ name: 'file-bucket', mode: 'sse-s3' }] },
    });
    const found = resolveConfigSource({
      serviceDir: dir,
      stage: 'prod',
      params: {
        bucket: 'param-bucket',
        kmsKeyArn: KEY,
        rotationMaxKeyAgeDays: '90',
        rotationAliases: 'alias/a, alias/b',
      },
    });
    expect(found.source).toBe('deploy/config.prod.json + stage params');
    const config = parseDeployConfig(found.input, { region: 'us-east-1', source: found.source });
    expect(config.buckets).toEqual([
      { name: 'param-bucket', mode: 'sse-kms', kmsKeyArn: KEY, previousKmsKeyArns: [] },
    ]);
    expect(config.rotation).toEqual({
      schedule: 'rate(1 day)',
      maxKeyAgeDays: 90,
      aliases: ['alias/a', 'alias/b'],
    });
  });

  it('takes the audit retention from --param auditRetentionDays, and names the param when it is wrong', () => {
    const dir = serviceDir({
      'deploy/config.prod.json': { buckets: [{ name: 'file-bucket', mode: 'sse-s3' }] },
    });
    const found = resolveConfigSource({
      serviceDir: dir,
      stage: 'prod',
      params: { auditRetentionDays: '3650' },
    });
    expect(found.source).toBe('deploy/config.prod.json + stage params');
    expect(parseDeployConfig(found.input, { region: 'us-east-1', source: found.source }).audit).toEqual({
      retentionDays: 3650,
    });
    expect(refusal(dir, { auditRetentionDays: 'forever' })).toContain(
      '--param auditRetentionDays (audit.retentionDays)',
    );
  });

  it('names the param, not the config path, when a param is wrong', () => {
    const message = refusal(serviceDir(), {
      mode: 'sse-x',
      kmsKeyArn: 'not-a-key',
      rotationMaxKeyAgeDays: 'soon',
    });
    expect(message).toContain('invalid deployment config stage params');
    expect(message).toContain('--param bucket (buckets[0].name): required');
    expect(message).toContain('--param mode (buckets[0].mode): unknown mode "sse-x"');
    expect(message).toContain('--param kmsKeyArn (buckets[0].kmsKeyArn): not a KMS key ARN');
    expect(message).toContain('--param rotationMaxKeyAgeDays (rotation.maxKeyAgeDays)');
  });

  it('refuses a param it does not know, listing the known ones', () => {
    expect(() =>
      resolveConfigSource({ serviceDir: serviceDir(), stage: 'prod', params: { bukket: 'x' } }),
    ).toThrow(/unknown stage param "bukket" \(known: bucket, mode, kmsKeyArn/);
  });
});
