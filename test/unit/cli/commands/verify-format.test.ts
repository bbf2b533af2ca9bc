import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgram } from '../../../../cli/program.js';
import { encryptionContextFor, toObjectMetadata } from '../../../../shared/envelope/format.js';
import { answeringS3, listBucketResult } from '../../../helpers/answering-s3.js';

// verify builds its clients through the CLI runtime: hand it an S3 client that answers locally,
// and a ledger with no watch policy (verify reads the bucket's watches to say if one disagrees).
const runtime = vi.hoisted(() => ({ s3: undefined as unknown }));
vi.mock('../../../../cli/runtime.js', () => ({
  cliRuntime: () => ({
    config: { ledgerTable: 'ledger' },
    clients: { s3: runtime.s3, kms: undefined, dynamo: { send: async () => ({ Items: [] }) } },
  }),
}));

const v2Envelope = toObjectMetadata({
  format: 'v2',
  wrappedKey: new Uint8Array(32).fill(7),
  iv: new Uint8Array(12).fill(1),
  encryptionContext: encryptionContextFor('v2'),
  plaintextLength: 3,
});

/** A bucket holding one S3EC V2 envelope object, `old`. */
function bucketWithV2Object() {
  const headers: Record<string, string> = { etag: '"e1"', 'content-length': '19' };
  for (const [name, value] of Object.entries(v2Envelope)) headers[`x-amz-meta-${name}`] = value;
  return answeringS3((request) => {
    if (request.method === 'HEAD' && /^\/bkt\/?$/.test(request.path)) return {}; // HeadBucket
    if (request.method === 'HEAD') return { headers };
    if (request.query['list-type']) return { body: listBucketResult({ keys: ['old'] }) };
    return { body: '<ListVersionsResult><IsTruncated>false</IsTruncated></ListVersionsResult>' };
  });
}

async function verify(...args: string[]) {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  process.exitCode = undefined;
  await createProgram().parseAsync(['node', 's3-seal', 'verify', 's3://bkt', ...args]);
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { exitCode, lines };
}

describe('s3-seal verify --s3ec-format', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ['--s3ec-format'],
    ['--format'],
  ])('with --mode envelope, %s v3 flags a V2 envelope', async (flag) => {
    runtime.s3 = bucketWithV2Object().s3;
    const { exitCode, lines } = await verify('--mode', 'envelope', flag, 'v3');
    expect(lines).toContain(
      'NOT COMPLIANT  s3://bkt/old  S3EC v2 envelope, not v3 (upgrade it: encrypt --mode envelope --upgrade-format)',
    );
    expect(exitCode).toBe(1);
  });

  // Either would otherwise check nothing and report the bucket compliant.
  it.each([
    [['--mode', 'envelope', '--s3ec-format', 'v2'], '--s3ec-format v2 requires nothing'],
    [['--s3ec-format', 'v3'], '--s3ec-format is used only with --mode envelope'],
    [['--mode', 'sse-s3', '--s3ec-format', 'v3'], '--s3ec-format is used only with --mode envelope'],
    // The older name is the same option.
    [['--mode', 'sse-s3', '--format', 'v3'], '--s3ec-format is used only with --mode envelope'],
    [
      ['--format', 'v3', '--s3ec-format', 'v3'],
      '--format is the older name of --s3ec-format: give one of them',
    ],
  ])('refuses %j before reading the bucket', async (args, reason) => {
    const bucket = bucketWithV2Object();
    runtime.s3 = bucket.s3;
    await expect(verify(...args)).rejects.toThrow(reason);
    expect(bucket.sent).toEqual([]);
  });
});
