import { describe, expect, it, vi } from 'vitest';
import { runMessageFields, startRun } from '../../../../shared/jobs/start-run.js';
import type { Run, RunStore } from '../../../../shared/runs/run-store.js';

const run: Run = {
  runId: 'r1',
  bucket: 'bucket',
  prefix: 'p/',
  mode: 'envelope',
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
  format: 'v3',
  upgradeFormat: true,
  keepAcl: true,
  startedAt: '2026-11-23T00:00:00.000Z',
  discovered: 0,
  pagesScanned: 0,
  scanComplete: false,
  counts: { encrypted: 0, compliant: 0, skipped: 0, superseded: 0, failed: 0, reasons: {} },
};

describe('runMessageFields', () => {
  it('carries what the run protects and how, for every scan-queue message', () => {
    expect(runMessageFields(run, 'envelope')).toEqual({
      runId: 'r1',
      bucket: 'bucket',
      prefix: 'p/',
      mode: 'envelope',
      keyArn: run.keyArn,
      format: 'v3',
      upgradeFormat: true,
      keepAcl: true,
      sseCustomerKeyMd5: undefined,
    });
    const plain = runMessageFields(
      {
        ...run,
        mode: 'sse-s3',
        keyArn: undefined,
        format: undefined,
        upgradeFormat: undefined,
        keepAcl: undefined,
      },
      'sse-s3',
    );
    expect(plain).not.toHaveProperty('format');
    expect(plain).not.toHaveProperty('keepAcl');
  });
});

describe('startRun --scan-chains', () => {
  it.each([
    0, 1025, 2.5,
  ])('refuses %s before any request: nothing is recorded or queued', async (scanChains) => {
    const send = vi.fn();
    const client = { send } as never;
    const create = vi.fn();
    await expect(
      startRun(
        {
          s3: client,
          kms: client,
          sqs: client,
          runs: { create } as unknown as RunStore,
          queues: {} as never,
        },
        { bucket: 'bucket', prefix: '', mode: 'sse-s3', scanChains },
      ),
    ).rejects.toThrow('--scan-chains must be a whole number from 1 to 1024');
    expect(send).not.toHaveBeenCalled();
    expect(create).not.toHaveBeenCalled();
  });
});

describe('startRun onAccepted', () => {
  const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/k';
  /** KMS, S3 and SQS that accept everything; every call is logged in order with the run's creation. */
  function deps(calls: string[]) {
    const send = vi.fn(async (command: { constructor: { name: string } }) => {
      calls.push(command.constructor.name);
      if (command.constructor.name === 'DescribeKeyCommand')
        return {
          KeyMetadata: {
            Arn: keyArn,
            KeyState: 'Enabled',
            KeyUsage: 'ENCRYPT_DECRYPT',
            KeySpec: 'SYMMETRIC_DEFAULT',
          },
        };
      return {};
    });
    const client = { send } as never;
    const create = vi.fn(async (r: Run) => {
      calls.push('runs.create');
      return r;
    });
    return {
      s3: client,
      kms: client,
      sqs: client,
      runs: { create } as unknown as RunStore,
      queues: {} as never,
    };
  }

  it('is told the mode, key and format once the input is accepted, before the run is recorded or queued', async () => {
    const calls: string[] = [];
    await startRun(deps(calls), {
      bucket: 'bucket',
      prefix: '',
      mode: 'envelope',
      key: 'alias/k',
      format: 'v2',
      onAccepted: (accepted) => calls.push(`accepted ${JSON.stringify(accepted)}`),
    });
    expect(calls).toEqual([
      'DescribeKeyCommand',
      'HeadBucketCommand',
      `accepted {"mode":"envelope","keyArn":"${keyArn}","format":"v2"}`,
      'runs.create',
      'SendMessageCommand',
    ]);
  });

  it('is not told of refused input', async () => {
    const onAccepted = vi.fn();
    const input = { bucket: 'bucket', prefix: '', mode: 'envelope', onAccepted };
    await expect(startRun(deps([]), input)).rejects.toThrow('--key is required with --mode envelope');
    expect(onAccepted).not.toHaveBeenCalled();
  });
});

describe('startRun checks', () => {
  /** KMS that refuses the key late and S3 that refuses the bucket at once; records what was sent. */
  function failing(sent: string[]) {
    const send = vi.fn(async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      if (command.constructor.name === 'DescribeKeyCommand') {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw Object.assign(new Error('no such key'), { name: 'NotFoundException' });
      }
      throw Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    });
    return { send } as never;
  }

  it('sends the checks side by side and, of several failures, reports the first in order, not in time', async () => {
    const sent: string[] = [];
    const client = failing(sent);
    const create = vi.fn();
    const input = { bucket: 'gone', prefix: '', mode: 'sse-kms', key: 'alias/missing' };
    const deps = {
      s3: client,
      kms: client,
      sqs: client,
      runs: { create } as unknown as RunStore,
      queues: {} as never,
    };
    for (let attempt = 0; attempt < 3; attempt++)
      await expect(startRun(deps, input)).rejects.toThrow('KMS key alias/missing not found');
    // The bucket was asked about before the key answered, on every attempt.
    expect(sent.slice(0, 2).sort()).toEqual(['DescribeKeyCommand', 'HeadBucketCommand']);
    expect(create).not.toHaveBeenCalled();
    expect(sent).not.toContain('SendMessageCommand');
  });
});
