import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../shared/clients.js';
import type { EstatePlan } from '../../shared/estate/estate-plan.js';
import { planEstate } from '../../shared/estate/estate-plan.js';
import type { EstateVerdict } from '../../shared/estate/estate-verify.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { runCli } from '../helpers/cli.js';
import {
  deleteBuckets,
  expectedRow,
  KINDS,
  type Kind,
  observed,
  PER_KIND,
  seedEstate,
} from '../helpers/estate-buckets.js';
import { createKmsKey } from '../helpers/pipeline.js';

/**
 * The estate commands over ~50 buckets of the local stack, each seeded in a known state: every
 * bucket's row is asserted exactly. The buckets share a unique name prefix, and every command runs
 * with --bucket-prefix, so other tests' buckets on the shared stack never reach the assertions.
 */
const { config, clients } = handlerRuntime();
const PREFIX = `it-estate-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}-`;
let keyA: string;
let keyB: string;
let buckets: Map<string, Kind>;
const expected = (kind: Kind) => expectedRow(kind, keyA);

beforeAll(async () => {
  [keyA, keyB] = [await createKmsKey(clients.kms), await createKmsKey(clients.kms)];
  buckets = await seedEstate(clients.s3, PREFIX, { keyA, keyB });
}, 300_000);

afterAll(async () => {
  await deleteBuckets(clients.s3, [...buckets.keys()]);
}, 300_000);

function planCli(extra: string[] = []) {
  const started = Date.now();
  const result = runCli([
    'plan',
    '--all-buckets',
    '--bucket-prefix',
    PREFIX,
    '--mode',
    'sse-kms',
    '--key',
    keyA,
    ...extra,
  ]);
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

describe('plan --all-buckets', () => {
  it(`plans ${PER_KIND * KINDS.length + 5} buckets, each row exactly as seeded`, () => {
    const { status, stdout, stderr, seconds } = planCli(['--json']);
    expect(status, stderr).toBe(0);
    const plan = JSON.parse(stdout) as EstatePlan;
    console.log(
      `plan --all-buckets over ${plan.buckets.length} buckets: ${seconds.toFixed(1)} s (CLI process, JSON)`,
    );
    expect(plan.buckets.map((b) => b.bucket)).toEqual([...buckets.keys()].sort());
    for (const row of plan.buckets) {
      expect(observed(row), row.bucket).toEqual(expected(buckets.get(row.bucket)!));
    }
    const toFix = [...buckets.values()].reduce((n, kind) => n + expected(kind).toFix, 0);
    expect(plan.totals).toMatchObject({ buckets: buckets.size, unreadable: 0, toFix });
    for (const row of plan.buckets) expect(row.plan?.projection.limitingComponent, row.bucket).toBeTruthy();
  });

  it('prints one table with a row per bucket, saying what each lacks', () => {
    const { status, stdout, stderr, seconds } = planCli();
    expect(status, stderr).toBe(0);
    console.log(`plan --all-buckets (table): ${seconds.toFixed(1)} s`);
    const rows = stdout.split('\n').filter((line) => line.trimStart().startsWith(PREFIX));
    expect(rows).toHaveLength(buckets.size);
    const deny = rows.find((line) => line.trimStart().startsWith(`${PREFIX}deny `))!;
    expect(deny).toMatch(
      /aws:kms policy key +on +off +off +header required, only key policy key +listing +1 +0 +kms:policy 1/,
    );
    const plain = rows.find((line) => line.trimStart().startsWith(`${PREFIX}plain-0 `))!;
    expect(plain).toMatch(
      /none +off +off +off +none +listing +2 +2 +plain 2 .*lacks default-encryption, bucket-key, deny-policy/,
    );
    expect(stdout).toMatch(
      /Totals: \d+ objects .*, \d+ to fix; \d+ buckets lack write-time controls; 0 buckets unreadable/,
    );
  });

  it('narrows by tag, name pattern and region', () => {
    const byTag = JSON.parse(planCli(['--bucket-tag', 'team=blue', '--json']).stdout) as EstatePlan;
    expect(byTag.buckets.map((b) => b.bucket)).toEqual(
      Array.from({ length: PER_KIND }, (_, i) => `${PREFIX}plain-${i}`),
    );
    const byPattern = JSON.parse(
      planCli(['--bucket-pattern', `${PREFIX}kms-*-?`, '--json']).stdout,
    ) as EstatePlan;
    expect(byPattern.buckets).toHaveLength(2 * PER_KIND);
    const far = JSON.parse(planCli(['--bucket-region', 'eu-west-1', '--json']).stdout) as EstatePlan;
    expect(far.buckets.map((b) => b.bucket)).toEqual([`${PREFIX}far`]);
    expect(planCli(['--bucket-tag', 'team=nobody']).stdout).toContain('No bucket matched');
  });

  it('--sample-objects estimates a larger bucket from a stated HEAD sample, scaled to the listing', () => {
    const out = planCli(['--bucket-pattern', `${PREFIX}plain-?`, '--sample-objects', '1', '--json']);
    expect(out.status, out.stderr).toBe(0);
    const plan = JSON.parse(out.stdout) as EstatePlan;
    expect(plan.buckets).toHaveLength(PER_KIND);
    for (const row of plan.buckets) {
      expect(row.sample, row.bucket).toEqual({ headed: 1, listed: 2 });
      expect(row.plan?.byState).toEqual({ unencrypted: { count: 2, bytes: 3 } });
      expect(row.toFix).toBe(2);
      expect(row.plan?.objects).toEqual({ count: 2, bytes: 3 });
      expect(row.plan?.notes[0]).toContain('Estimated from a HEAD sample of 1 of 2 current objects');
    }
    // A bucket no larger than the sample is planned exactly.
    const small = JSON.parse(
      planCli(['--bucket-pattern', `${PREFIX}mixed-0`, '--sample-objects', '5', '--json']).stdout,
    ) as EstatePlan;
    expect(small.buckets[0]?.sample).toBeUndefined();
  });

  it('--other-kms-keys leave plans objects under another key as left, not re-keyed', () => {
    const pattern = ['--bucket-pattern', `${PREFIX}kms-other-?`, '--json'];
    const rekey = JSON.parse(planCli(pattern).stdout) as EstatePlan;
    const leave = JSON.parse(planCli([...pattern, '--other-kms-keys', 'leave']).stdout) as EstatePlan;
    expect(leave.buckets).toHaveLength(PER_KIND);
    for (const [i, row] of leave.buckets.entries()) {
      expect(Object.keys(rekey.buckets[i]!.plan!.byAction), row.bucket).toEqual(['protect:rekey']);
      expect(Object.keys(row.plan!.byAction), row.bucket).toEqual(['skip:under-another-kms-key']);
      expect(row.toFix, row.bucket).toBe(0);
    }
  });

  it('makes a bucket S3 refuses its own row, with the reason, and plans the others, reading only', async () => {
    const s3 = createClients(config).s3;
    const sent: string[] = [];
    const denied = `${PREFIX}plain-0`;
    const gone = `${PREFIX}plain-1`;
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const bucket = (args.input as { Bucket?: string }).Bucket;
        sent.push(String(context.commandName));
        if (bucket === denied || bucket === gone) {
          const [name, status] = bucket === denied ? ['AccessDenied', 403] : ['NoSuchBucket', 404];
          throw Object.assign(new Error(`${context.commandName}: ${name}`), {
            name,
            $metadata: { httpStatusCode: status },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'refuseTwoBuckets' },
    );
    const plan = await planEstate(
      { s3, kms: clients.kms },
      {
        filter: { prefix: `${PREFIX}plain-`, tags: [] },
        mode: 'sse-kms',
        key: keyA,
        bucketConcurrency: 4,
        concurrency: 8,
        useInventory: true,
        sampleSize: 10,
        lambdaConcurrency: 1000,
        prefixPartitions: 1,
        useUpdateObjectEncryption: false,
      },
    );
    const rows = Object.fromEntries(plan.buckets.map((b) => [b.bucket, b]));
    expect(rows[denied]?.error).toMatch(/access to bucket .* is denied/);
    expect(rows[gone]?.error).toMatch(/^bucket does not exist/);
    expect(plan.totals).toMatchObject({ buckets: PER_KIND, unreadable: 2, toFix: 2 * (PER_KIND - 2) });
    // Reads only.
    expect(sent.filter((name) => !/^(List|Get|Head)\w+Command$/.test(name))).toEqual([]);
  });
});

describe('verify --all-buckets', () => {
  it('checks every bucket, each row exactly as seeded, and fails the run', () => {
    const started = Date.now();
    const out = runCli([
      'verify',
      '--all-buckets',
      '--bucket-prefix',
      PREFIX,
      '--mode',
      'sse-kms',
      '--key',
      keyA,
      '--json',
    ]);
    console.log(
      `verify --all-buckets over ${buckets.size} buckets: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(out.status, out.stderr).toBe(1);
    const verdict = JSON.parse(out.stdout) as EstateVerdict;
    expect(verdict.buckets.map((b) => b.bucket)).toEqual([...buckets.keys()].sort());
    for (const row of verdict.buckets) {
      const kind = buckets.get(row.bucket)!;
      const e = expected(kind);
      // The inventory plan counted the source's rows; verify lists the bucket itself: the same three.
      const objects = Object.values(e.byState).reduce((n, c) => n + c, 0);
      expect(
        {
          checked: row.checked,
          notCompliant: row.notCompliant,
          plaintextVersions: row.plaintextVersions,
          passed: row.passed,
          lacks: row.lacks,
        },
        row.bucket,
      ).toEqual({
        checked: objects,
        notCompliant: e.toFix,
        plaintextVersions: e.plaintextVersions,
        passed: e.toFix === 0,
        lacks: e.lacks,
      });
    }
  });

  it('passes (exit 0) when every selected bucket passes', () => {
    const out = runCli([
      'verify',
      '--all-buckets',
      '--bucket-pattern',
      `${PREFIX}kms-policy-*`,
      '--mode',
      'sse-kms',
      '--key',
      keyA,
    ]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain(
      `${PER_KIND} of ${PER_KIND} buckets pass; ${2 * PER_KIND} objects checked, 0 not compliant`,
    );
  });
});

describe('encrypt with several buckets', () => {
  beforeAll(() => {
    // Own queues, so no other file's leftover messages reach these runs (the CLI reads the variable).
    process.env.S3SEAL_QUEUE_PREFIX = `it-estate-${randomUUID().slice(0, 6)}`;
    const setup = runCli(['setup']);
    expect(setup.status, setup.stderr).toBe(0);
  });

  it('--all-buckets without --yes lists the runs it would start and starts none', async () => {
    const out = runCli([
      'encrypt',
      '--all-buckets',
      '--bucket-prefix',
      PREFIX,
      '--bucket-tag',
      'wave=1',
      '--mode',
      'sse-kms',
      '--key',
      keyA,
    ]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`s3://${PREFIX}kms-other-0/`);
    expect(out.stderr).toContain(`s3://${PREFIX}kms-other-1/`);
    expect(out.stderr).toContain('nothing was started; add --yes to start these 2 runs');
    expect(out.stdout).toBe('');
  });

  it('refuses a missing bucket among several before starting any run', () => {
    const out = runCli([
      'encrypt',
      `s3://${PREFIX}plain-2`,
      `s3://${PREFIX}no-such-bucket`,
      '--mode',
      'sse-kms',
      '--key',
      keyA,
    ]);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain(`bucket ${PREFIX}no-such-bucket does not exist`);
    expect(out.stdout).toBe('');
  });

  it('runs one run per bucket named, then --all-buckets --yes, each bucket then passing verify', () => {
    const named = runCli([
      'encrypt',
      `s3://${PREFIX}plain-2`,
      `s3://${PREFIX}mixed-2`,
      '--mode',
      'sse-kms',
      '--key',
      keyA,
      '--local',
      '--no-progress',
    ]);
    expect(named.status, named.stderr).toBe(0);
    expect(named.stderr).toMatch(new RegExp(`s3://${PREFIX}plain-2/  run \\S+  complete`));
    expect(named.stderr).toMatch(new RegExp(`s3://${PREFIX}mixed-2/  run \\S+  complete`));
    const all = runCli([
      'encrypt',
      '--all-buckets',
      '--bucket-prefix',
      PREFIX,
      '--bucket-tag',
      'wave=1',
      '--mode',
      'sse-kms',
      '--key',
      keyA,
      '--yes',
      '--local',
      '--no-progress',
    ]);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stderr.match(/ {2}run \S+ {2}complete/g)).toHaveLength(2);
    for (const bucket of ['plain-2', 'mixed-2', 'kms-other-0', 'kms-other-1']) {
      const verify = runCli(['verify', `s3://${PREFIX}${bucket}`, '--mode', 'sse-kms', '--key', keyA]);
      expect(verify.status, verify.stdout).toBe(0);
    }
  });
});
