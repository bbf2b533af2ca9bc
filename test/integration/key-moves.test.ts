import { CreateAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatPlan } from '../../cli/plan-report.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEventsHandler } from '../../functions/events/handler.js';
import { createPlannerHandler } from '../../functions/rewrap-planner/handler.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { planRun } from '../../shared/plan/plan-run.js';
import { headObject } from '../../shared/s3/object-head.js';
import { notificationIdFor, type WatchPolicy, WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { objectCreatedEvent } from '../helpers/s3-events.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let policies: WatchPolicyStore;

beforeAll(async () => {
  pipeline = await startPipeline('key-moves');
  policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable, 0);
});

const bodyOf = async (bucket: string, key: string) =>
  (
    await (
      await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body!.transformToString()
  ).toString();

/** A bucket where another application keeps `owned` objects under its own key, beside plaintext. */
async function mixedBucket(label: string, otherKey: string, owned = 3, plain = 2): Promise<string> {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  for (let i = 0; i < owned; i++) {
    await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `app/${i}.txt`,
        Body: `owned ${i}`,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: otherKey,
      }),
    );
  }
  for (let i = 0; i < plain; i++) {
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `plain/${i}.txt`, Body: `plain ${i}` }),
    );
  }
  return bucket;
}

const watchOn = (bucket: string, prefix: string, keyArn: string): WatchPolicy => ({
  bucket,
  prefix,
  suffix: '',
  mode: 'sse-kms',
  keyArn,
  notificationId: notificationIdFor(prefix, ''),
  createdAt: new Date().toISOString(),
});

describe('sse-kms and objects under another KMS key', () => {
  let policyKey: string;
  let appKey: string;
  beforeAll(async () => {
    [policyKey, appKey] = [
      await createKmsKey(pipeline.clients.kms),
      await createKmsKey(pipeline.clients.kms),
    ];
  });

  it('plan names each source key and what the run would do with its objects', async () => {
    const bucket = await mixedBucket('km-plan', appKey);
    const request = {
      bucket,
      prefix: '',
      mode: 'sse-kms' as const,
      key: policyKey,
      lambdaConcurrency: 10,
      prefixPartitions: 1,
      sampleSize: 0,
      concurrency: 4,
      useUpdateObjectEncryption: false,
    };
    const rekey = await planRun(pipeline.clients, request);
    expect(rekey.otherKmsKeys).toEqual({ [appKey]: { count: 3, bytes: 21, action: 'rekey' } });
    expect(rekey.byAction['protect:rekey']?.count).toBe(3);
    expect(formatPlan(rekey).join('\n')).toMatch(new RegExp(`${appKey}\\s+re-keyed from it\\s+3`));
    const leave = await planRun(pipeline.clients, { ...request, otherKmsKeys: 'leave' });
    expect(leave.otherKmsKeys).toEqual({ [appKey]: { count: 3, bytes: 21, action: 'leave' } });
    expect(leave.byAction['skip:under-another-kms-key']?.count).toBe(3);
  });

  it('re-keys them by default, and the counts and audit records name the key each left', async () => {
    const bucket = await mixedBucket('km-rekey', appKey);
    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
      {
        bucket,
        prefix: '',
        mode: 'sse-kms',
        key: policyKey,
      },
    );
    const done = (await pipeline.process(run.runId)).run;
    expect(done.counts).toMatchObject({ encrypted: 5, skipped: 0, failed: 0, rekeyedFrom: { [appKey]: 3 } });
    const records = await recordsOfRun(pipeline, run.runId);
    expect(records).toHaveLength(5);
    const rekeyed = records.filter((r) => r.method === 'rekey').sort((a, b) => a.key.localeCompare(b.key));
    expect(rekeyed.map((r) => [r.key, r.decision, r.keyArnBefore, r.keyArn])).toEqual(
      [0, 1, 2].map((i) => [`app/${i}.txt`, 'encrypted', appKey, policyKey]),
    );
    expect(records.filter((r) => r.key.startsWith('plain/')).every((r) => r.keyArnBefore === undefined)).toBe(
      true,
    );
    for (const key of await listKeys(pipeline.clients.s3, bucket)) {
      expect((await headObject(pipeline.clients.s3, bucket, key))?.kmsKeyArn, key).toBe(policyKey);
    }
    expect(await bodyOf(bucket, 'app/1.txt')).toBe('owned 1');
  });

  it('leaves them under their key with --other-kms-keys leave: skipped with a reason, bytes untouched', async () => {
    const bucket = await mixedBucket('km-leave', appKey);
    const before = new Map<string, string>();
    for (const key of await listKeys(pipeline.clients.s3, bucket))
      before.set(key, (await headObject(pipeline.clients.s3, bucket, key))!.etag);
    const cli = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      policyKey,
      '--other-kms-keys',
      'leave',
      '--local',
      '--no-progress',
    ]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`left under ${appKey}: 3`);
    const runId = /run (\S+):/.exec(cli.stderr)![1]!;
    const run = (await pipeline.runs.get(runId))!;
    expect(run.otherKmsKeys).toBe('leave');
    expect(run.counts).toMatchObject({ encrypted: 2, skipped: 3, leftUnder: { [appKey]: 3 } });
    expect(run.counts.reasons['under-another-kms-key']).toBe(3);
    for (let i = 0; i < 3; i++) {
      const head = (await headObject(pipeline.clients.s3, bucket, `app/${i}.txt`))!;
      expect(head.kmsKeyArn).toBe(appKey);
      expect(head.etag).toBe(before.get(`app/${i}.txt`));
    }
    const status = runCli(['status', runId]);
    expect(status.stdout).toContain(`left under ${appKey}: 3`);
  });

  it('the summary and status of a default run list the re-keyed objects per source key', async () => {
    const otherApp = await createKmsKey(pipeline.clients.kms);
    const bucket = await mixedBucket('km-cli', appKey, 2, 1);
    await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'other-app.txt',
        Body: 'x',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: otherApp,
      }),
    );
    const cli = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      policyKey,
      '--local',
      '--no-progress',
    ]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(
      'objects under other KMS keys: re-keyed (--other-kms-keys leave keeps them)',
    );
    expect(cli.stdout).toContain(`re-keyed from ${appKey}: 2`);
    expect(cli.stdout).toContain(`re-keyed from ${otherApp}: 1`);
    const runId = /run (\S+):/.exec(cli.stderr)![1]!;
    expect(runCli(['status', runId]).stdout).toContain(`re-keyed from ${appKey}: 2`);
  });

  it('refuses --other-kms-keys outside sse-kms mode before recording anything', () => {
    const cli = runCli([
      'encrypt',
      's3://no-such-bucket-km',
      '--mode',
      'sse-s3',
      '--other-kms-keys',
      'leave',
    ]);
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toContain('--other-kms-keys is used only with --mode sse-kms');
  });
});

const created = (bucket: string, key: string, eTag: string): SQSEvent =>
  objectCreatedEvent({ bucket, key, eTag }, `${key}-${eTag}`);

describe('a re-wrap from A to B carries the watch along', () => {
  let keyA: string;
  let keyB: string;
  beforeAll(async () => {
    [keyA, keyB] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
  });

  it('rewrap moves the watch naming A to B, says so, records it, and new uploads go under B', async () => {
    const bucket = uniqueBucket('km-watch');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 3 });
    expect((await pipeline.backfill(bucket, 'sse-kms', keyA)).run.counts.encrypted).toBe(3);
    await policies.put(watchOn(bucket, '', keyA));
    await policies.put(watchOn(bucket, 'logs/', keyA));

    const cli = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyA,
      '--to',
      keyB,
      '--local',
      '--no-progress',
    ]);
    expect(cli.status, cli.stderr).toBe(0);
    const line = `watch s3://${bucket}/* (sse-kms) moved from ${keyA} to ${keyB}`;
    expect(cli.stderr).toContain(line);
    expect(cli.stdout).toContain(line);
    expect(cli.stdout).toContain(`watch s3://${bucket}/logs/* (sse-kms) moved from ${keyA} to ${keyB}`);
    const runId = /run (\S+):/.exec(cli.stderr)![1]!;
    const run = (await pipeline.runs.get(runId))!;
    expect(run.watchesMoved?.map((m) => [m.prefix, m.fromKeyArn, m.toKeyArn])).toEqual(
      expect.arrayContaining([
        ['', keyA, keyB],
        ['logs/', keyA, keyB],
      ]),
    );
    const watches = await policies.forBucket(bucket);
    expect(watches.map((w) => [w.prefix, w.keyArn, w.movedFrom, w.movedBy])).toEqual(
      expect.arrayContaining([
        ['', keyB, keyA, runId],
        ['logs/', keyB, keyA, runId],
      ]),
    );
    expect(runCli(['status', runId]).stdout).toContain(line);

    // A new upload, as the watch's event delivers it, now goes under B.
    const put = await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'new.txt', Body: 'new' }),
    );
    const handler = createEventsHandler(() => ({ ...pipeline.encryptDeps(), runs: pipeline.runs, policies }));
    expect(
      (await handler(created(bucket, 'new.txt', put.ETag!.replace(/"/g, '')), {} as never)).batchItemFailures,
    ).toEqual([]);
    expect((await headObject(pipeline.clients.s3, bucket, 'new.txt'))?.kmsKeyArn).toBe(keyB);
    const verified = runCli(['verify', `s3://${bucket}`, '--key', keyB]);
    expect(verified.status, verified.stdout).toBe(0);
    expect(verified.stdout).not.toContain('WATCH');
  });

  it('refuses a re-wrap narrower than a watch naming A, before recording anything', async () => {
    const bucket = uniqueBucket('km-narrow');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 2 });
    await pipeline.backfill(bucket, 'sse-kms', keyA, 'logs/');
    await policies.put(watchOn(bucket, '', keyA));
    const latest = await pipeline.runs.recent(1);
    const cli = runCli(['rewrap', `s3://${bucket}/logs/`, '--from', keyA, '--to', keyB]);
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toContain(
      `the watch on s3://${bucket}/* (sse-kms) seals new uploads under ${keyA} and covers more than s3://${bucket}/logs/`,
    );
    expect(cli.stderr).toContain(`s3-seal setup --watch s3://${bucket}/ --mode sse-kms --key ${keyB}`);
    expect(await pipeline.runs.recent(1)).toEqual(latest);
    expect((await policies.forBucket(bucket))[0]?.keyArn).toBe(keyA);
  });

  it('verify says when the watch names another key than the one asked', async () => {
    const bucket = uniqueBucket('km-verify');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 2 });
    await pipeline.backfill(bucket, 'sse-kms', keyB);
    await policies.put(watchOn(bucket, '', keyA));
    const verified = runCli(['verify', `s3://${bucket}`, '--key', keyB]);
    expect(verified.status).toBe(0); // the objects are under B; the watch is about future uploads
    expect(verified.stdout).toContain(
      `WATCH  the watch on s3://${bucket}/* protects new uploads with sse-kms under ${keyA}, not sse-kms under ${keyB}`,
    );
  });

  it('setup --watch says the key it will use before it stores the watch', async () => {
    const bucket = uniqueBucket('km-setup');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    const keyId = keyA.split('/').pop()!;
    const cli = runCli(['setup', '--watch', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyId]);
    expect(cli.status, cli.stderr).toBe(0);
    const lines = cli.stdout.split('\n');
    const said = lines.findIndex((l) =>
      l.includes(
        `will protect new uploads with sse-kms under KMS key ${keyA}; uploads under other KMS keys are re-keyed onto it`,
      ),
    );
    const stored = lines.findIndex((l) => l.includes('notification s3-seal-'));
    expect(said).toBeGreaterThanOrEqual(0);
    expect(said).toBeLessThan(stored);
  });

  it('the rotation planner moves every watch naming the key an alias left (all buckets)', async () => {
    const [keyE, keyF] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
    const alias = `alias/it-key-moves-${Date.now()}`;
    // LocalStack resolves an alias only when its target is a key id, not an ARN.
    const keyId = (arn: string) => arn.split('/').pop()!;
    await pipeline.clients.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId(keyE) }));
    const [one, two] = [uniqueBucket('km-alias1'), uniqueBucket('km-alias2')];
    for (const bucket of [one, two]) await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await policies.put(watchOn(one, '', keyE));
    await policies.put(watchOn(two, 'in/', keyE));
    const handler = createPlannerHandler(() => ({ ...pipeline.plannerDeps(), policy: { aliases: [alias] } }));
    expect((await handler({ source: 'aws.events' })).plans).toEqual([]);
    await pipeline.clients.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keyId(keyF) }));
    const moved = await handler({ source: 'aws.events' });
    // No object was under E, but the plan records its run: it moved the watches.
    expect(moved.plans).toHaveLength(1);
    expect(moved.plans[0]!.runId).toBeDefined();
    expect(moved.plans[0]!.watchesMoved.map((m) => `${m.bucket}/${m.prefix} ${m.toKeyArn}`).sort()).toEqual(
      [`${one}/ ${keyF}`, `${two}/in/ ${keyF}`].sort(),
    );
    expect((await policies.forBucket(one))[0]?.keyArn).toBe(keyF);
    expect((await policies.forBucket(two))[0]?.keyArn).toBe(keyF);
    expect((await pipeline.runs.get(moved.plans[0]!.runId!))?.watchesMoved).toHaveLength(2);
    // Nothing names E any more: the next pass plans no run.
    expect((await handler({ source: 'aws.events' })).plans.every((p) => !p.runId)).toBe(true);
  });
});
