import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { GetObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';

/**
 * `s3-seal setup` creates what is missing and leaves what exists alone, so it also works against
 * a deployed stage, whose queues and tables the CloudFormation stack owns (with attributes, such as
 * SSE-SQS, that setup itself would not set).
 */
function setup(prefix: string, extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['bin/s3-seal.js', 'setup'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      S3SEAL_QUEUE_PREFIX: prefix,
      S3SEAL_LEDGER_TABLE: `${prefix}-ledger`,
      S3SEAL_AUDIT_TABLE: `${prefix}-audit`,
      S3SEAL_AUDIT_BUCKET: `${prefix}-trail`,
      S3SEAL_TLOG_KEY: `alias/${prefix}-tlog`,
      ...extra,
    },
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  const lines = result.stdout.trim().split('\n');
  return { status: result.status, stderr: result.stderr, lines };
}
const statusOf = (lines: string[]) => lines.map((line) => line.split(/\s+/)[2]);

describe('setup', () => {
  it('creates the five queues (the large-object one included), their DLQs, both tables, the audit bucket and the log signing key once, then finds them', async () => {
    const prefix = `it-setup-${randomUUID().slice(0, 6)}`;
    const first = setup(prefix, { S3SEAL_AUDIT_RETENTION_DAYS: '2' });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.lines).toHaveLength(14);
    expect(first.lines.some((line) => line.includes(`${prefix}-large `))).toBe(true);
    expect(statusOf(first.lines)).toEqual(Array(14).fill('created'));
    // The transparency log's signing key: ECC_NIST_P256 for SIGN_VERIFY, under the alias it names.
    expect(first.lines.at(-1)).toMatch(
      new RegExp(
        `^key\\s+alias/${prefix}-tlog\\s+created\\s+arn:aws:kms:\\S+\\s+\\(signs the transparency log s3-seal/${prefix}-trail/tlog `,
      ),
    );
    const { kms } = createClients(loadConfig());
    const key = await kms.send(new DescribeKeyCommand({ KeyId: `alias/${prefix}-tlog` }));
    expect([key.KeyMetadata?.KeySpec, key.KeyMetadata?.KeyUsage]).toEqual(['ECC_NIST_P256', 'SIGN_VERIFY']);
    expect(first.lines.at(-2)).toMatch(
      new RegExp(
        `^bucket\\s+${prefix}-trail\\s+created\\s+s3://${prefix}-trail/audit/\\s+\\(Object Lock, 2-day compliance retention\\)$`,
      ),
    );
    const { s3 } = createClients(loadConfig());
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: `${prefix}-trail` }));
    expect(lock.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2 } },
    });
    const second = setup(prefix);
    expect(second.status).toBe(0);
    expect(statusOf(second.lines)).toEqual(Array(14).fill('ok'));
    // Found as it is: its own retention, not the one this run would have given a new bucket (0).
    expect(second.lines.at(-2)).toContain('(Object Lock, 2-day compliance retention)');
  });

  it('uses a queue that exists with other attributes as it is, instead of failing or changing it', async () => {
    const prefix = `it-stack-${randomUUID().slice(0, 6)}`;
    const { sqs } = createClients(loadConfig());
    // As serverless.yml declares it: SSE-SQS on, and here a visibility timeout setup would not choose.
    const stackOwned = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}-encrypt`,
        Attributes: { VisibilityTimeout: '2400', SqsManagedSseEnabled: 'true' },
      }),
    );
    const run = setup(prefix);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.lines.find((line) => line.includes(`${prefix}-encrypt `))).toMatch(/\bok\b/);
    const after = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: stackOwned.QueueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(after.Attributes?.VisibilityTimeout).toBe('2400');
  });
});
