import { CreateAliasCommand, DisableKeyCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createPlannerHandler } from '../../functions/rewrap-planner/handler.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { objectPartitionKey } from '../../shared/ledger/dynamodb-ledger.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
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

/**
 * Sets an object's recorded wrap time, as time would (through the ledger, so the key's summary
 * follows), or removes its index entry, as an item written before the index existed lacks it.
 */
async function setIndexEntry(bucket: string, key: string, wrappedAt: string | undefined) {
  const ref = { bucket, key, operation: 'encrypt' as const };
  if (wrappedAt) {
    const item = (await pipeline.ledger.get(ref))!;
    await pipeline.ledger.recordWrap(ref, { keyArn: item.keyArn!, wrappedAt, resultEtag: item.resultEtag! });
    return;
  }
  await pipeline.clients.dynamo.send(
    new UpdateCommand({
      TableName: pipeline.config.ledgerTable,
      Key: { pk: objectPartitionKey(bucket, key), sk: 'encrypt' },
      UpdateExpression: 'REMOVE wrappedAt, keyArn, wrapKey',
    }),
  );
}

describe('the rewrap planner', () => {
  it('re-wraps, on a KMS rotation event, exactly the objects wrapped under that key before the event', async () => {
    const keyA = await createKmsKey(pipeline.clients.kms);
    const before = await envelopeBucket('rot-before', keyA, 6);
    const rotatedAt = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
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
    // The plan's shard chains found exactly the six objects wrapped before the rotation.
    expect(run.discovered).toBe(6);
    expect(run.counts.encrypted).toBe(6);

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
    for (const k of old) await setIndexEntry(bucket, k, '2026-01-01T00:00:00.000Z');
    for (const k of keys.slice(3)) await setIndexEntry(bucket, k, '2026-02-20T00:00:00.000Z');
    const was = await snapshot(bucket);

    // The clock says 1 March: 30 days back is 30 January, so only the January wraps are too old.
    const clock = () => new Date('2026-03-01T00:00:00.000Z');
    const handler = createPlannerHandler(() => ({
      ...pipeline.plannerDeps(clock),
      policy: { maxKeyAgeDays: 30, aliases: [] },
    }));
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    const ours = result.plans.filter((p) => p.fromKeyArn === key);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ toKeyArn: key, wrappedBefore: '2026-01-30T00:00:00.000Z' });
    expect((await pipeline.process(ours[0]!.runId!)).run.discovered).toBe(3);

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
    const third = await handler({ source: 'aws.events' });
    expect(third.plans.every((p) => !p.runId)).toBe(true); // nothing left under E
  });
});

describe('rewrap and rotate from the CLI', () => {
  it('finds objects protected before the index existed with --scan', async () => {
    const [keyG, keyH] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
    const bucket = await envelopeBucket('rot-scan', keyG, 5);
    const sealed = await listKeys(pipeline.clients.s3, bucket);
    for (const key of sealed) await setIndexEntry(bucket, key, undefined);
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
