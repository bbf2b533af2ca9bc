import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { headObject } from '../../shared/s3/object-head.js';
import { notificationIdFor, type WatchPolicy, WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { runCli } from '../helpers/cli.js';
import { dateWraps } from '../helpers/key-manifests.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * Re-wrap previews and summaries (issue 24, item 7): `rewrap --dry-run` and `rotate --dry-run`
 * print objects per bucket and write nothing; `rotate --on-demand` shows the same before it
 * rotates; a re-wrap summary names its moves and lists each source key with its count.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyA: string;
let keyB: string;
let big: string;
let small: string;

async function envelopeBucket(label: string, keyArn: string, objects: number) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects, maxObjectBytes: 256 });
  expect((await pipeline.backfill(bucket, 'envelope', keyArn)).run.counts.encrypted).toBe(objects);
  return bucket;
}

/** Each object's ETag and the key its data key unwraps under. */
async function wraps(bucket: string) {
  const state: Record<string, string> = {};
  for (const key of await listKeys(pipeline.clients.s3, bucket)) {
    const head = (await headObject(pipeline.clients.s3, bucket, key))!;
    state[key] = `${head.etag} ${await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata)}`;
  }
  return state;
}

/** Lines `  s3://BUCKET  N`, values in one column past the longest bucket (alignRows). */
function bucketLines(rows: Array<[string, number]>): string[] {
  const width = Math.max(23, ...rows.map(([bucket]) => `  s3://${bucket}`.length + 2));
  return rows.map(([bucket, n]) => `${`  s3://${bucket}`.padEnd(width)}${n}`);
}

beforeAll(async () => {
  pipeline = await startPipeline('rewrap-preview');
  keyA = await createKmsKey(pipeline.clients.kms);
  keyB = await createKmsKey(pipeline.clients.kms);
  big = await envelopeBucket('prev-big', keyA, 3);
  small = await envelopeBucket('prev-sml', keyA, 2);
}, 180_000);

describe('a re-wrap preview', () => {
  it('rewrap --dry-run prints the objects per bucket, exits 0 and writes nothing', async () => {
    const before = { big: await wraps(big), small: await wraps(small) };
    const runsBefore = await pipeline.runs.recent(5);
    const out = runCli(['rewrap', `s3://${big}`, '--from', keyA, '--to', keyB, '--dry-run'], 60_000);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.trimEnd().split('\n')).toEqual([
      `re-wrap 3 object(s) in 1 bucket(s) from ${keyA} to ${keyB}:`,
      ...bucketLines([[big, 3]]),
    ]);
    expect(await wraps(big)).toEqual(before.big);
    expect(await wraps(small)).toEqual(before.small);
    expect(await pipeline.runs.recent(5)).toEqual(runsBefore);
  });

  it('rewrap --dry-run names the watch the run would carry along, and moves nothing', async () => {
    const policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable, 0);
    const watch: WatchPolicy = {
      bucket: small,
      prefix: '',
      suffix: '',
      mode: 'envelope',
      keyArn: keyA,
      notificationId: notificationIdFor('', ''),
      createdAt: new Date().toISOString(),
    };
    await policies.put(watch);
    try {
      const out = runCli(['rewrap', `s3://${small}`, '--from', keyA, '--to', keyB, '--dry-run'], 60_000);
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout.trimEnd().split('\n')).toEqual([
        `re-wrap 2 object(s) in 1 bucket(s) from ${keyA} to ${keyB}:`,
        ...bucketLines([[small, 2]]),
        `watch s3://${small}/* (envelope) would move from ${keyA} to ${keyB} with the run`,
      ]);
      expect(await policies.forBucket(small)).toEqual([watch]);
    } finally {
      await policies.delete(small, watch.notificationId);
    }
  });

  it('rotate --key --dry-run prints every bucket under the key, busiest first, and rotates nothing', async () => {
    const before = await wraps(big);
    const out = runCli(['rotate', '--key', keyA, '--on-demand', '--dry-run'], 60_000);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.trimEnd().split('\n')).toEqual([
      `re-wrap 5 object(s) in 2 bucket(s) under ${keyA} (fresh key material):`,
      ...bucketLines([
        [big, 3],
        [small, 2],
      ]),
    ]);
    expect(out.stderr).not.toContain('rotated the key material');
    expect(await wraps(big)).toEqual(before);
  });

  it('rotate --policies --dry-run previews each move the policies ask for, planning nothing', async () => {
    // Three objects whose data keys are older than the policy's limit, as time would make them:
    // key A's newest manifest dates their wraps in 2020.
    await dateWraps(
      pipeline,
      keyA,
      big,
      await listKeys(pipeline.clients.s3, big),
      '2020-01-01T00:00:00.000Z',
    );
    const before = await wraps(big);
    const runsBefore = await pipeline.runs.recent(5);
    process.env.S3SEAL_ROTATION_MAX_KEY_AGE_DAYS = '30';
    const out = runCli(['rotate', '--policies', '--dry-run'], 60_000);
    delete process.env.S3SEAL_ROTATION_MAX_KEY_AGE_DAYS;
    expect(out.status, out.stderr).toBe(0);
    // Find this key's move among any others the policies ask for.
    const lines = out.stdout.split('\n');
    const at = lines.findIndex((line) =>
      line.startsWith(
        `  re-wrap 3 object(s) in 1 bucket(s) under ${keyA} (fresh key material), wrapped before `,
      ),
    );
    expect(at, out.stdout).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe('max-key-age 30d:');
    expect(lines[at + 1]).toBe(`  ${bucketLines([[big, 3]])[0]}`);
    expect(await wraps(big)).toEqual(before);
    expect(await pipeline.runs.recent(5)).toEqual(runsBefore);
  });

  it('refuses --dry-run where nothing can be counted before the run', () => {
    const scan = runCli(
      ['rewrap', `s3://${big}`, '--from', keyA, '--to', keyB, '--scan', '--dry-run'],
      60_000,
    );
    expect(scan.status).toBe(1);
    expect(scan.stderr.trim()).toBe(
      's3-seal: error: --dry-run previews from the key manifests; with --scan or --inventory every object is looked at, so there is nothing to count before the run',
    );
  });
});

describe('rotate --on-demand and the re-wrap summary', () => {
  it('shows per bucket what it will re-wrap before rotating, then names the moves by source key', async () => {
    const out = runCli(['rotate', '--key', keyA, '--on-demand', '--local', '--no-progress'], 150_000);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    const stderr = out.stderr.split('\n');
    const preview = stderr.indexOf(`re-wrap 5 object(s) in 2 bucket(s) under ${keyA} (fresh key material):`);
    expect(preview).toBeGreaterThanOrEqual(0);
    expect(stderr.slice(preview + 1, preview + 3)).toEqual(
      bucketLines([
        [big, 3],
        [small, 2],
      ]),
    );
    expect(stderr.findIndex((line) => line.startsWith('rotated the key material'))).toBeGreaterThan(preview);

    const lines = out.stdout.trimEnd().split('\n');
    const width = `    from ${keyA}`.length + 2;
    const row = (lead: string, value: number) => `${lead.padEnd(width)}${value}`;
    expect(lines.slice(1, 9)).toEqual([
      row('  objects found', 5),
      row('  re-wrapped', 5),
      row(`    from ${keyA}`, 5),
      row('  already compliant', 0),
      row('  skipped', 0),
      `${row('  superseded', 0)}  (written by someone else meanwhile; newer bytes kept, run again to protect them)`,
      row('  failed', 0),
      expect.stringMatching(/^ {2}time +\d/),
    ]);
  });

  it('rewrap --local from A to B lists the source key under re-wrapped, not under skipped', async () => {
    const out = runCli(['rewrap', `s3://${small}`, '--from', keyA, '--to', keyB, '--local', '--no-progress']);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    const width = `    from ${keyA}`.length + 2;
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines.slice(2, 5)).toEqual([
      `${'  re-wrapped'.padEnd(width)}2`,
      `${`    from ${keyA}`.padEnd(width)}2`,
      `${'  already compliant'.padEnd(width)}0`,
    ]);
    for (const wrap of Object.values(await wraps(small))) expect(wrap.endsWith(keyB)).toBe(true);
  });
});
