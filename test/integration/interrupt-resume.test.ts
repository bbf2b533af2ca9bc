import { type ChildProcess, spawn } from 'node:child_process';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { runStatus } from '../../shared/runs/run-status.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
const children: ChildProcess[] = [];
const OBJECTS = 200;
const body = (key: string) => `plaintext of ${key}`;

beforeAll(async () => {
  pipeline = await startPipeline('interrupt');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function seed(bucket: string, objects = OBJECTS): Promise<string[]> {
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const keys = Array.from({ length: objects }, (_, i) => `data/${String(i).padStart(3, '0')}.txt`);
  for (let i = 0; i < keys.length; i += 25) {
    await Promise.all(
      keys
        .slice(i, i + 25)
        .map((Key) =>
          pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body(Key) })),
        ),
    );
  }
  return keys;
}

/** How many of every fifth key are envelope-encrypted now: progress S3 shows before any chunk commits. */
async function protectedSample(bucket: string, keys: string[]): Promise<number> {
  const sample = keys.filter((_, i) => i % 5 === 0);
  const heads = await Promise.all(sample.map((key) => headObject(pipeline.clients.s3, bucket, key)));
  return heads.filter((head) => head && envelopeFormatOf(head.metadata)).length;
}

/**
 * `encrypt --local` in a child process, slowed (`slow` of S3/KMS calls take 2 s more) so that a
 * signal finds its chunks mid-way. Resolves with the run id once S3 shows `atLeast` objects of the
 * sample encrypted: a chunk commits its objects together, so the run's counters show nothing
 * until then.
 */
async function startEncrypt(bucket: string, keys: string[], atLeast: number, slow = 0.5) {
  const child = spawn(
    process.execPath,
    [
      'bin/s3-seal.js',
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'envelope',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
    ],
    {
      env: { ...process.env, S3SEAL_FAULTS: `slow=${slow}`, S3SEAL_LOCAL_VISIBILITY_SECONDS: '20' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let runId: string | undefined;
  for (const started = Date.now(); Date.now() - started < 90_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    runId ??= /^run (\S+):/m.exec(output.stderr)?.[1];
    if (runId && (await protectedSample(bucket, keys)) >= atLeast)
      return { child, output, exited, runId: runId! };
  }
  throw new Error(`the run did not get going: ${output.stderr}`);
}

/** The run's chunks still claimed (IN_PROGRESS). */
async function claimsInProgress(runId: string) {
  return (await pipeline.trail.chunksOf(runId)).filter((item) => item.state === 'IN_PROGRESS');
}

/** Each object is either untouched plaintext or envelope-encrypted with the same plaintext. */
async function expectIntact(bucket: string, keys: string[]) {
  let encrypted = 0;
  for (const key of keys) {
    const head = (await headObject(pipeline.clients.s3, bucket, key))!;
    if (envelopeFormatOf(head.metadata)) encrypted++;
    expect((await readPlaintext(pipeline.clients, bucket, key)).toString(), key).toBe(body(key));
  }
  return encrypted;
}

/** The run completed: every object encrypted, state done, counters equal to its committed chunk logs. */
async function expectCompleted(runId: string, bucket: string, keys: string[]) {
  expect(await expectIntact(bucket, keys)).toBe(keys.length);
  const run = (await pipeline.runs.get(runId))!;
  expect(runStatus(run).state).toBe('done');
  expect(run.discovered).toBe(keys.length);
  const audited: Record<string, number> = {};
  const auditedKeys = new Set<string>();
  for (const record of await pipeline.trail.records(runId)) {
    audited[record.decision] = (audited[record.decision] ?? 0) + 1;
    auditedKeys.add(record.key);
  }
  expect(auditedKeys.size).toBe(keys.length);
  expect(run.counts.encrypted).toBe(audited.encrypted ?? 0);
  expect(run.counts.compliant).toBe(audited.compliant ?? 0);
  expect(run.counts.encrypted + run.counts.compliant).toBe(keys.length);
  expect(run.counts.failed + run.counts.skipped + run.counts.superseded).toBe(0);
  expect(await claimsInProgress(runId)).toEqual([]);
}

// First in this file: the queue depths it reads are those of this file's own (fresh) queues.
describe('status of an unfinished run', () => {
  it('says what the run waits for, and that it is stalled once nothing is queued or in flight', async () => {
    const bucket = uniqueBucket('stalled');
    await seed(bucket, 3);
    const { clients, runs, queues } = pipeline;
    const run = await startRun(
      { ...clients, runs, queues },
      { bucket, prefix: '', mode: 'envelope', key: keyArn },
    );

    const queued = runCli(['status', run.runId]);
    expect(queued.status).toBe(0);
    expect(queued.stdout).toMatch(/^ {2}scanning +0\/0\+ objects/m);
    expect(queued.stdout).toContain(
      `waiting: 1 job(s) queued, 0 in flight (all runs) for 0+ object(s); nothing is receiving them now: \`s3-seal resume ${run.runId}\` processes them here`,
    );

    // The run's only job is lost (as if consumed by something that then vanished).
    const got = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.scan, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    expect(got.Messages).toHaveLength(1);
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queues.scan, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }),
    );
    const stalled = runCli(['status', run.runId]);
    expect(stalled.stdout).toMatch(/^ {2}stalled +0\/0\+ objects/m);
    expect(stalled.stdout).toContain(
      `stalled: no jobs queued or in flight and 0+ object(s) unaccounted: run \`s3-seal resume ${run.runId}\``,
    );
    const json = JSON.parse(runCli(['status', run.runId, '--json']).stdout);
    expect(json.waiting).toMatchObject({ stalled: true, queued: 0, inFlight: 0, holders: [] });
    // Resuming cannot bring a lost job back, and says so instead of reporting success.
    const resumed = runCli(['resume', run.runId, '--no-progress'], 60_000);
    expect(resumed.status).toBe(1);
    expect(resumed.stdout).toContain('scan unfinished');
  }, 60_000);
});

describe('interrupting encrypt --local', () => {
  it('Ctrl-C twice stops at once, gives every chunk back, says how to resume; resume completes the run', async () => {
    const bucket = uniqueBucket('sigint');
    const keys = await seed(bucket);
    const { child, output, exited, runId } = await startEncrypt(bucket, keys, 3);
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output.stderr).toContain('SIGINT: taking no new work');
    expect(output.stdout).toContain(`run ${runId} interrupted at `);
    expect(output.stdout).toMatch(/gave back \d+ chunk\(s\) stopped in flight/);
    expect(output.stdout).toContain(`resume with: s3-seal resume ${runId}`);
    // Mid-run: some objects done, some not, no chunk claimed, none damaged.
    expect(await claimsInProgress(runId)).toEqual([]);
    const encrypted = await expectIntact(bucket, keys);
    expect(encrypted).toBeGreaterThan(0);
    expect(encrypted).toBeLessThan(keys.length);

    const resumed = runCli(['resume', runId, '--no-progress'], 120_000);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`run ${runId} (envelope)`);
    await expectCompleted(runId, bucket, keys);
  }, 240_000);

  it('SIGTERM stops within its grace period, leaves the rest queued, and exits 143', async () => {
    const bucket = uniqueBucket('sigterm');
    const keys = await seed(bucket);
    // Nine calls in ten slowed by 2 s: the chunks in flight cannot finish within the 8 s grace
    // period, so the rest stays queued however fast the machine (at 0.5 they sometimes did).
    const { child, output, exited, runId } = await startEncrypt(bucket, keys, 3, 0.9);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(output.stderr).toContain('SIGTERM: taking no new work');
    expect(output.stdout).toContain(`resume with: s3-seal resume ${runId}`);
    expect(await claimsInProgress(runId)).toEqual([]);
    expect(await expectIntact(bucket, keys)).toBeLessThan(keys.length);
    const resumed = runCli(['resume', runId, '--no-progress'], 120_000);
    expect(resumed.status, resumed.stderr).toBe(0);
    await expectCompleted(runId, bucket, keys);
  }, 240_000);
});

describe('a local run killed outright (kill -9)', () => {
  it('resume takes over the dead process’s chunks at once and completes the run', async () => {
    const bucket = uniqueBucket('sigkill');
    const keys = await seed(bucket);
    const { child, exited, runId } = await startEncrypt(bucket, keys, 3);
    child.kill('SIGKILL');
    await exited;
    const held = await claimsInProgress(runId);
    expect(held.length).toBeGreaterThan(0);
    // Leases of 15 minutes are held; resume must not wait them out.
    expect(Math.min(...held.map((item) => Number(item.leaseExpiresAt)))).toBeGreaterThan(
      Date.now() + 600_000,
    );

    const status = runCli(['status', runId]);
    expect(status.stdout).toMatch(/^ {2}waiting: \d+ job\(s\) queued, \d+ in flight/m);
    expect(status.stdout).toMatch(/claim\(s\) held by pid \d+ on .*\(process gone: `s3-seal resume /);

    const started = Date.now();
    const resumed = runCli(['resume', runId, '--no-progress'], 150_000);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(120_000);
    await expectCompleted(runId, bucket, keys);
  }, 300_000);

  it('a re-run of encrypt on the same scope finishes too', async () => {
    const bucket = uniqueBucket('sigkill-rerun');
    const keys = await seed(bucket);
    const { child, exited, runId } = await startEncrypt(bucket, keys, 3);
    child.kill('SIGKILL');
    await exited;
    expect((await claimsInProgress(runId)).length).toBeGreaterThan(0);

    const again = runCli(
      ['encrypt', `s3://${bucket}`, '--mode', 'envelope', '--key', keyArn, '--local', '--no-progress'],
      150_000,
    );
    expect(again.status, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(await expectIntact(bucket, keys)).toBe(keys.length);
    // The killed run loses nothing: the chunks it held are still claimed by the dead process (their
    // messages hidden until their visibility timeout), and `resume` takes them over at once and
    // completes it; its objects the re-run protected meanwhile are counted once, never rewritten.
    const resumed = runCli(['resume', runId, '--no-progress'], 150_000);
    expect(resumed.status, resumed.stderr).toBe(0);
    await expectCompleted(runId, bucket, keys);
  }, 300_000);
});
