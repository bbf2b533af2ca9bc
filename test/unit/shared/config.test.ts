import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.js';
import { ConfigError } from '../../../shared/errors.js';

describe('loadConfig', () => {
  it('has sensible defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      ledgerTable: 's3-seal-ledger',
      auditTable: 's3-seal-audit',
      queuePrefix: 's3-seal',
      multipartThresholdBytes: 16 * 1024 * 1024,
      copyMultipartThresholdBytes: 5 * 1024 ** 3,
      leaseSeconds: 900,
      scanPageSize: 1000,
      useUpdateObjectEncryption: true,
      s3ForcePathStyle: false,
    });
  });

  it('makes the claim lease follow the function timeout, with a minute of margin', () => {
    expect(loadConfig({ S3SEAL_FUNCTION_TIMEOUT_SECONDS: '300' })).toMatchObject({
      leaseSeconds: 360,
      functionTimeoutSeconds: 300,
      deadlineMarginSeconds: 15,
    });
    expect(
      loadConfig({ S3SEAL_FUNCTION_TIMEOUT_SECONDS: '300', S3SEAL_LEASE_SECONDS: '900' }).leaseSeconds,
    ).toBe(900);
    expect(loadConfig({ S3SEAL_LEASE_SECONDS: '10' }).leaseSeconds).toBe(10);
    expect(loadConfig({ S3SEAL_LEASE_SECONDS: '' }).leaseSeconds).toBe(900);
  });

  it('refuses a lease shorter than the function timeout plus its margin', () => {
    expect(() => loadConfig({ S3SEAL_FUNCTION_TIMEOUT_SECONDS: '300', S3SEAL_LEASE_SECONDS: '300' })).toThrow(
      /S3SEAL_LEASE_SECONDS: must be at least the function timeout \+ 60 s \(360\)/,
    );
    expect(() => loadConfig({ S3SEAL_FUNCTION_TIMEOUT_SECONDS: '901' })).toThrow(ConfigError);
  });

  it('keeps UpdateObjectEncryption off against a custom endpoint unless forced on', () => {
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).useUpdateObjectEncryption).toBe(false);
    expect(loadConfig({ AWS_ENDPOINT_URL_S3: 'http://x' }).useUpdateObjectEncryption).toBe(false);
    expect(
      loadConfig({ AWS_ENDPOINT_URL: 'http://x', S3SEAL_UPDATE_OBJECT_ENCRYPTION: 'on' })
        .useUpdateObjectEncryption,
    ).toBe(true);
    expect(loadConfig({ S3SEAL_UPDATE_OBJECT_ENCRYPTION: 'off' }).useUpdateObjectEncryption).toBe(false);
  });

  it.each([
    [{ S3SEAL_MULTIPART_THRESHOLD_BYTES: '1000' }, 'S3SEAL_MULTIPART_THRESHOLD_BYTES'],
    [
      { S3SEAL_COPY_MULTIPART_THRESHOLD_BYTES: String(6 * 1024 ** 3) },
      'S3SEAL_COPY_MULTIPART_THRESHOLD_BYTES',
    ],
    [{ S3SEAL_SCAN_PAGE_SIZE: '5000' }, 'S3SEAL_SCAN_PAGE_SIZE'],
    [{ S3SEAL_UPDATE_OBJECT_ENCRYPTION: 'maybe' }, 'S3SEAL_UPDATE_OBJECT_ENCRYPTION'],
  ])('refuses a bad value with a ConfigError naming the variable (%j)', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('reads the rotation policies, and names a bad alias entry', () => {
    expect(loadConfig({}).rotation).toEqual({ maxKeyAgeDays: undefined, aliases: [] });
    // serverless.yml passes '' for "no age policy".
    expect(loadConfig({ S3SEAL_ROTATION_MAX_KEY_AGE_DAYS: '' }).rotation.maxKeyAgeDays).toBeUndefined();
    expect(
      loadConfig({
        S3SEAL_ROTATION_MAX_KEY_AGE_DAYS: '90',
        S3SEAL_ROTATION_ALIASES: 'alias/data, alias/logs',
      }).rotation,
    ).toEqual({ maxKeyAgeDays: 90, aliases: ['alias/data', 'alias/logs'] });
    expect(() => loadConfig({ S3SEAL_ROTATION_ALIASES: 'alias/ok,data' })).toThrow(
      /S3SEAL_ROTATION_ALIASES.*alias\/NAME/,
    );
    expect(() => loadConfig({ S3SEAL_ROTATION_MAX_KEY_AGE_DAYS: '0' })).toThrow(
      /S3SEAL_ROTATION_MAX_KEY_AGE_DAYS/,
    );
  });

  it('places the audit trail in s3-seal-audit-trail under audit/ unless told otherwise', () => {
    expect(loadConfig({}).auditLocation).toEqual({ bucket: 's3-seal-audit-trail', prefix: 'audit/' });
    expect(
      loadConfig({ S3SEAL_AUDIT_BUCKET: 'trail.example-1', S3SEAL_AUDIT_PREFIX: 'stage a/trail/' })
        .auditLocation,
    ).toEqual({ bucket: 'trail.example-1', prefix: 'stage a/trail/' });
    // Empty: the bucket's root.
    expect(loadConfig({ S3SEAL_AUDIT_PREFIX: '' }).auditLocation.prefix).toBe('');
  });

  it.each([
    [{ S3SEAL_AUDIT_BUCKET: 'Audit_Trail' }, /S3SEAL_AUDIT_BUCKET: not a valid S3 bucket name/],
    [{ S3SEAL_AUDIT_BUCKET: 'ab' }, /S3SEAL_AUDIT_BUCKET/],
    [{ S3SEAL_AUDIT_BUCKET: 's3://trail' }, /S3SEAL_AUDIT_BUCKET/],
    [{ S3SEAL_AUDIT_PREFIX: 'audit' }, /S3SEAL_AUDIT_PREFIX: must be empty or end with "\/"/],
    [{ S3SEAL_AUDIT_RETENTION_DAYS: '-1' }, /S3SEAL_AUDIT_RETENTION_DAYS/],
    [{ S3SEAL_AUDIT_RETENTION_DAYS: '1.5' }, /S3SEAL_AUDIT_RETENTION_DAYS/],
  ])('refuses a bad audit location or retention (%j)', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('gives a bucket setup creates a year of retention on AWS, a day on a local endpoint, none when told 0', () => {
    expect(loadConfig({}).auditRetentionDays).toBe(365);
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).auditRetentionDays).toBe(1);
    expect(
      loadConfig({ AWS_ENDPOINT_URL: 'http://x', S3SEAL_AUDIT_RETENTION_DAYS: '0' }).auditRetentionDays,
    ).toBe(0);
    expect(loadConfig({ S3SEAL_AUDIT_RETENTION_DAYS: '' }).auditRetentionDays).toBe(365);
    expect(loadConfig({ S3SEAL_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
  });
});
