import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { queueDepth } from '../../cli/local-run.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('cli-validation');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

/** Every ledger item (run records, the run list, object items) that names `bucket`. */
async function ledgerItemsOf(bucket: string) {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan(
    { client: pipeline.clients.dynamo },
    {
      TableName: pipeline.config.ledgerTable,
      FilterExpression: '#bucket = :b',
      ExpressionAttributeNames: { '#bucket': 'bucket' },
      ExpressionAttributeValues: { ':b': bucket },
      ConsistentRead: true,
    },
  )) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/** What a write would change: each object's ETag and protection. */
async function snapshot(bucket: string) {
  const state: Record<string, string> = {};
  for (const key of await listKeys(pipeline.clients.s3, bucket)) {
    const head = (await headObject(pipeline.clients.s3, bucket, key))!;
    state[key] =
      `${head.etag} ${head.serverSideEncryption ?? 'none'} ${Object.keys(head.metadata).join(',')}`;
  }
  return state;
}

describe('numeric options are checked before anything is recorded or queued', () => {
  it('refuses --concurrency abc, 0, -3 and 1.5: exit 1, the flag named, no run, no scan message', async () => {
    const bucket = uniqueBucket('badconc');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 5 });
    const before = await snapshot(bucket);
    for (const value of ['abc', '0', '-3', '1.5']) {
      const out = runCli(
        [
          'encrypt',
          `s3://${bucket}`,
          '--mode',
          'sse-kms',
          '--key',
          keyArn,
          '--local',
          '--concurrency',
          value,
        ],
        60_000,
      );
      expect(out.status, `--concurrency ${value}: ${out.stderr}`).toBe(1);
      expect(out.stderr).toContain(`option '--concurrency <n>' argument '${value}' is invalid`);
      expect(out.stderr).toContain('expected a whole number from 1 to 256');
    }
    expect(await ledgerItemsOf(bucket)).toEqual([]);
    expect(await queueDepth(pipeline.clients.sqs, [pipeline.queues.scan, pipeline.queues.encrypt])).toBe(0);

    // A later, valid run of another bucket finds no orphan run to pick up: the refused bucket is
    // left exactly as it was.
    const other = uniqueBucket('goodconc');
    await seedBucket(pipeline.clients.s3, other, { objects: 3 });
    const good = runCli([
      'encrypt',
      `s3://${other}`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
    ]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/encrypted\s+3\b/);
    expect(await snapshot(bucket)).toEqual(before);
    expect(await ledgerItemsOf(bucket)).toEqual([]);
    const sealed = await snapshot(other);
    expect(Object.values(sealed).every((s) => s.includes(' aws:kms '))).toBe(true);
  });

  it('refuses `worker --concurrency abc` instead of starting NaN pollers', () => {
    const out = runCli(['worker', '--concurrency', 'abc', '--until-idle'], 30_000);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("option '--concurrency <n>' argument 'abc' is invalid");
    expect(out.stderr).not.toContain('pollers');
  });

  it.each([
    [['worker', '--visibility-seconds', '0'], '--visibility-seconds <s>'],
    [['worker', '--until-idle', '--idle-seconds', 'soon'], '--idle-seconds <s>'],
    [['verify', 's3://any-bucket', '--concurrency', '-3'], '--concurrency <n>'],
    [['rewrap', 's3://any-bucket', '--from', 'k1', '--to', 'k2', '--concurrency', '0'], '--concurrency <n>'],
    [
      ['rewrap', 's3://any-bucket', '--from', 'k1', '--to', 'k2', '--wrapped-before', 'last week'],
      '--wrapped-before <iso-time>',
    ],
    [['rotate', '--key', 'k1', '--on-demand', '--before', '2026-02-31'], '--before <iso-time>'],
    [['status', '--watch', '--interval', 'abc'], '--interval <seconds>'],
    [['status', '--list', '0'], '--list [n]'],
    [['demo', '--objects', 'many'], '--objects <n>'],
  ])('refuses %j naming the flag', (args, flag) => {
    const out = runCli(args, 30_000);
    expect(out.status, out.stderr).toBe(1);
    expect(out.stderr).toContain(`option '${flag}' argument`);
    expect(out.stderr).toContain('is invalid');
  });
});
