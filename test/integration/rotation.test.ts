import { CreateAliasCommand, DisableKeyCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createPlannerHandler } from '../../functions/rewrap-planner/handler.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import type { PolicyDocument } from '../../shared/estate/upload-policy.js';
import { headObject } from '../../shared/s3/object-head.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { runCli } from '../helpers/cli.js';
import { currentEntries, dropKeyManifests, writeKeyManifest } from '../helpers/key-manifests.js';
import {
  createKmsKey,
  listKeys,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline('rotation');
});

/** Per object: ETag, raw (stored) bytes digest, plaintext digest. */
async function snapshot(bucket: string) {
  // A metadata-only copy keeps the ETag (the MD5 of unchanged bytes): the wrapped key shows a re-wrap.
  const state = new Map<string, { etag: string; wrappedKey: string; raw: string; plain: string }>();
  for (const key of await listKeys(pipeline.clients.s3, bucket)) {
    const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    state.set(key, {
      etag: got.ETag!,
      wrappedKey: got.Metadata?.['x-amz-3'] ?? got.Metadata?.['x-amz-key-v2'] ?? '',
      raw: sha256(await got.Body!.transformToByteArray()),
      plain: sha256(await readPlaintext(pipeline.clients, bucket, key)),
    });
  }
  return state;
}

async function envelopeBucket(label: string, keyArn: string, objects: number) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects });
  expect((await pipeline.backfill(bucket, 'envelope', keyArn)).run.counts.encrypted).toBe(objects);
  return bucket;
}

async function wrappingKey(bucket: string, key: string) {
  return checkDataKeyUnwraps(
    pipeline.clients.kms,
    (await headObject(pipeline.clients.s3, bucket, key))!.metadata,
  );
}

const DAY_MS = 24 * 60 * 60 * 1000;

describe('the rewrap planner', () => {
  it('re-wraps, on a KMS rotation event, exactly the objects wrapped under that key before the event', async () => {
    const keyA = await createKmsKey(pipeline.clients.kms);
    const before = await envelopeBucket('rot-before', keyA, 6);
    const rotatedAt = new Date().toISOString();
    // S3's LastModified has whole seconds: the objects written after the rotation are so a second on.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await envelopeBucket('rot-after', keyA, 4);
    const [wasBefore, wasAfter] = [await snapshot(before), await snapshot(after)];

    const handler = createPlannerHandler(() => ({ ...pipeline.plannerDeps(), policy: { aliases: [] } }));
    const result = await handler({
      version: '0',
      id: 'e1',
      'detail-type': 'KMS CMK Rotation',
      source: 'aws.kms',
      account: '000000000000',
      time: rotatedAt,
      region: 'us-east-1',
      resources: [keyA],
      detail: { 'key-id': keyA.split('/').pop() },
    });
    expect(result.plans).toHaveLength(1);
    expect(result.plans[0]).toMatchObject({ fromKeyArn: keyA, toKeyArn: keyA });
    const { run } = await pipeline.process(result.plans[0]!.runId!);
    // A manifest line is dated when its record was written, after the write: lines within a day of
    // the cut-off stay candidates and their HEAD decides. All ten are looked at; the six written
    // before the rotation are re-wrapped, the four written since are left as they are.
    expect(run.discovered).toBe(10);
    expect(run.counts).toMatchObject({ encrypted: 6, compliant: 4, skipped: 0, failed: 0 });

    for (const [key, was] of await snapshot(before).then((now) =>
      [...now].map(([k, v]) => [k, v] as const),
    )) {
      const old = wasBefore.get(key)!;
      expect(was.wrappedKey, key).not.toBe(old.wrappedKey); // the data key was re-wrapped
      expect(was.raw, key).toBe(old.raw); // the ciphertext was not
      expect(was.plain, key).toBe(old.plain);
      expect(await wrappingKey(before, key), key).toBe(keyA);
    }
    expect(await snapshot(after)).toEqual(wasAfter);
  });

  it('refuses an event that is not a KMS rotation, naming the field', async () => {
    const handler = createPlannerHandler(() => ({ ...pipeline.plannerDeps(), policy: { aliases: [] } }));
    await expect(
      handler({ source: 'aws.kms', 'detail-type': 'KMS CMK Rotation', detail: {} }),
    ).rejects.toThrow(/not a KMS CMK Rotation event: account/);
    await expect(handler({ source: 'aws.s3' })).rejects.toThrow(/unsupported event source "aws.s3"/);
  });

  it('applies a max-age policy on schedule to exactly the objects wrapped before the limit', async () => {
    const key = await createKmsKey(pipeline.clients.kms);
    const bucket = await envelopeBucket('rot-age', key, 6);
    const keys = (await listKeys(pipeline.clients.s3, bucket)).sort();
    const old = keys.slice(0, 3);
    // The clock says 60 days on: 30 days back is 30 days on, so the six wraps of the backfill are too
    // old. Three objects were wrapped again 40 days on, as a later run's manifest records: only the
    // other three are still too old. (S3's LastModified cannot be set; every object's says now, so
    // each HEAD would re-wrap: the plan alone picks the three.)
    const start = Date.now();
    const clock = () => new Date(start + 60 * DAY_MS);
    const rewrappedAt = new Date(start + 40 * DAY_MS);
    const current = await currentEntries(pipeline, key);
    await writeKeyManifest(
      pipeline,
      key,
      keys.slice(3).map((k) => ({ ...current.get(`${bucket}/${k}`)!, wrappedAt: rewrappedAt.toISOString() })),
      rewrappedAt,
    );
    const was = await snapshot(bucket);

    const handler = createPlannerHandler(() => ({
      ...pipeline.plannerDeps(clock),
      policy: { maxKeyAgeDays: 30, aliases: [] },
    }));
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    const ours = result.plans.filter((p) => p.fromKeyArn === key);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({
      toKeyArn: key,
      wrappedBefore: new Date(start + 30 * DAY_MS).toISOString(),
    });
    const { run } = await pipeline.process(ours[0]!.runId!);
    expect(run.discovered).toBe(3);
    expect(run.counts).toMatchObject({ encrypted: 3, failed: 0 });

    const now = await snapshot(bucket);
    for (const k of keys) {
      if (old.includes(k)) expect(now.get(k)!.wrappedKey, k).not.toBe(was.get(k)!.wrappedKey);
      else expect(now.get(k)!.wrappedKey, k).toBe(was.get(k)!.wrappedKey);
      expect(now.get(k)!.plain, k).toBe(was.get(k)!.plain);
    }
  });

  it('moves objects to the new key when a watched alias is retargeted', async () => {
    const [keyE, keyF] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
    const alias = `alias/it-rotation-${Date.now()}`;
    // LocalStack resolves an alias only when its target is a key id, not an ARN.
    const keyId = (arn: string) => arn.split('/').pop()!;
    await pipeline.clients.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId(keyE) }));
    const bucket = uniqueBucket('rot-alias');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 4 });
    expect((await pipeline.backfill(bucket, 'envelope', alias)).run.counts.encrypted).toBe(4);
    const handler = createPlannerHandler(() => ({ ...pipeline.plannerDeps(), policy: { aliases: [alias] } }));

    const first = await handler({ source: 'aws.events' });
    expect(first.plans).toEqual([]); // learns the alias's target; nothing to move
    await pipeline.clients.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keyId(keyF) }));
    const second = await handler({ source: 'aws.events' });
    expect(second.plans).toHaveLength(1);
    expect(second.plans[0]).toMatchObject({ fromKeyArn: keyE, toKeyArn: keyF });
    expect((await pipeline.process(second.plans[0]!.runId!)).run.discovered).toBe(4);
    for (const key of await listKeys(pipeline.clients.s3, bucket))
      expect(await wrappingKey(bucket, key)).toBe(keyF);
    // Nothing is left under E. E's manifest, written once, still names the four objects (their move
    // is in F's), so a later pass may plan E -> F again: each HEAD finds the object under F, and
    // nothing is written.
    const moved = await snapshot(bucket);
    const third = await handler({ source: 'aws.events' });
    for (const plan of third.plans.filter((p) => p.runId)) {
      expect(plan).toMatchObject({ fromKeyArn: keyE, toKeyArn: keyF });
      const { run } = await pipeline.process(plan.runId!);
      expect(run.counts).toMatchObject({ encrypted: 0, compliant: run.discovered, failed: 0 });
    }
    expect(await snapshot(bucket)).toEqual(moved);
  });
});

describe('the rewrap planner and a watch’s write-time controls', () => {
  const keyId = (arn: string) => arn.split('/').pop()!;

  /** A bucket watched under E with deny statements and default encryption, and an alias on E the planner has seen. */
  async function watchedUnderAlias(label: string) {
    const [keyE, keyF] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
    const alias = `alias/it-${label}-${Date.now()}`;
    await pipeline.clients.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId(keyE) }));
    const bucket = uniqueBucket(label);
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    const setup = runCli([
      'setup',
      '--watch',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      keyE,
      '--deny-unencrypted',
    ]);
    expect(setup.status, setup.stderr).toBe(0);
    const handler = createPlannerHandler(() => ({ ...pipeline.plannerDeps(), policy: { aliases: [alias] } }));
    expect((await handler({ source: 'aws.events' })).plans).toEqual([]);
    return { keyE, keyF, alias, bucket, handler };
  }

  /** The key the bucket's default encryption names, and the keys its deny statements test. */
  async function controlsOf(bucket: string) {
    const rules = (await pipeline.clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))
      .ServerSideEncryptionConfiguration?.Rules;
    const policy = JSON.parse(
      (await pipeline.clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!,
    ) as PolicyDocument;
    const denyKeys = policy.Statement.flatMap((s) =>
      Object.values(s.Condition?.StringNotEquals ?? {}).flatMap((v) => (Array.isArray(v) ? v : [v])),
    ).filter((v) => String(v).startsWith('arn:aws:kms:'));
    return { defaultKey: rules?.[0]?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID, denyKeys };
  }

  it('carries a moved watch’s deny statements and default encryption to the alias’s new key', async () => {
    const { keyE, keyF, alias, bucket, handler } = await watchedUnderAlias('rot-ctl');
    expect(await controlsOf(bucket)).toEqual({ defaultKey: keyE, denyKeys: [keyE] });

    await pipeline.clients.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keyId(keyF) }));
    const planned = await handler({ source: 'aws.events' });
    expect(planned.plans).toHaveLength(1);
    expect(planned.plans[0]).toMatchObject({ fromKeyArn: keyE, toKeyArn: keyF });
    expect(planned.plans[0]!.error).toBeUndefined();
    expect(planned.plans[0]!.watchesMoved.map((w) => w.bucket)).toEqual([bucket]);
    // Left under E, the deny statements would refuse the run's own copies under F on AWS.
    expect(await controlsOf(bucket)).toEqual({ defaultKey: keyF, denyKeys: [keyF] });
  });

  it('finishes the carry of a watch an earlier plan moved without its controls', async () => {
    const { keyE, keyF, alias, bucket, handler } = await watchedUnderAlias('rot-ctl2');
    // As a planner attempt that moved the watch and died (or was denied) before the controls followed.
    const watches = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable, 0);
    const [watch] = await watches.forBucket(bucket);
    expect(
      await watches.moveKey(watch!, keyE, keyF, { runId: 'earlier', at: new Date().toISOString() }),
    ).toBe(true);
    expect(await controlsOf(bucket)).toEqual({ defaultKey: keyE, denyKeys: [keyE] });

    await pipeline.clients.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keyId(keyF) }));
    const planned = await handler({ source: 'aws.events' });
    expect(planned.plans.map((p) => [p.fromKeyArn, p.toKeyArn, p.error, p.watchesMoved])).toEqual([
      [keyE, keyF, undefined, []],
    ]);
    expect(await controlsOf(bucket)).toEqual({ defaultKey: keyF, denyKeys: [keyF] });
  });
});

describe('rewrap and rotate from the CLI', () => {
  it('finds objects protected before manifests existed with --scan', async () => {
    const [keyG, keyH] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
    const bucket = await envelopeBucket('rot-scan', keyG, 5);
    const sealed = await listKeys(pipeline.clients.s3, bucket);
    // As a deployment from before per-key manifests: no manifest names them.
    expect(await dropKeyManifests(pipeline, keyG)).toBe(1);
    for (const key of ['plain/1', 'plain/2']) {
      await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }

    const indexed = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyG,
      '--to',
      keyH,
      '--local',
      '--no-progress',
    ]);
    expect(indexed.status, indexed.stderr).toBe(0);
    expect(indexed.stderr).toContain('re-wrapping 0 object(s)');

    const scanned = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyG,
      '--to',
      keyH,
      '--scan',
      '--local',
      '--no-progress',
    ]);
    expect(scanned.status, scanned.stdout + scanned.stderr).toBe(0);
    expect(scanned.stdout).toMatch(/re-wrapped\s+5/);
    expect(scanned.stdout).toMatch(/not-kms-protected\s+2/);
    for (const key of sealed) {
      expect(await wrappingKey(bucket, key), key).toBe(keyH);
    }
    expect(runCli(['keys']).stdout).toMatch(new RegExp(`${keyH}\\s+5 object`));
  });

  it('rotate --key --on-demand re-wraps everything wrapped under the key before the rotation', async () => {
    const key = await createKmsKey(pipeline.clients.kms);
    const bucket = await envelopeBucket('rot-cli', key, 5);
    const was = await snapshot(bucket);
    const out = runCli(['rotate', '--key', key, '--on-demand', '--local', '--no-progress']);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stderr).toContain('rotated the key material');
    expect(out.stdout).toMatch(/re-wrapped\s+5/);
    const now = await snapshot(bucket);
    for (const [k, v] of now) {
      expect(v.wrappedKey, k).not.toBe(was.get(k)!.wrappedKey);
      expect(v.raw, k).toBe(was.get(k)!.raw);
      expect(v.plain, k).toBe(was.get(k)!.plain);
    }
    const again = runCli([
      'rotate',
      '--key',
      key,
      '--before',
      '2000-01-01T00:00:00Z',
      '--local',
      '--no-progress',
    ]);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('nothing to re-wrap');
  });

  it('a disabled source key: every affected object reported as failed, none changed', async () => {
    const [keyJ, keyK] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
    const bucket = await envelopeBucket('rot-disabled', keyJ, 3);
    const was = await snapshot(bucket);
    await pipeline.clients.kms.send(new DisableKeyCommand({ KeyId: keyJ }));
    const out = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyJ,
      '--to',
      keyK,
      '--local',
      '--no-progress',
    ]);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/failed\s+3/);
    for (const key of was.keys()) expect(out.stdout).toContain(`failed: s3://${bucket}/${key}: `);
    for (const [key, v] of was) {
      expect((await headObject(pipeline.clients.s3, bucket, key))!.etag, key).toBe(v.etag);
    }
  });

  it('rotate needs exactly one of --key or --policies', () => {
    const out = runCli(['rotate']);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('exactly one of --key KEY or --policies');
  });
});
