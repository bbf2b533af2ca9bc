import { type ChildProcess, spawn } from 'node:child_process';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { runStatus } from '../../shared/runs/run-status.js';
import { settled } from '../../shared/runs/run-store.js';
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

/**
 * `encrypt --local` in a child process, slowed (a third of S3/KMS calls take 2 s more) so that a
 * signal finds it mid-run. Resolves with the run id once the run has settled `atLeast` objects.
 */
async function startEncrypt(bucket: string, atLeast: number) {
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
      env: { ...process.env, S3SEAL_FAULTS: 'slow=0.3', S3SEAL_LOCAL_VISIBILITY_SECONDS: '20' },
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
    const run = runId ? await pipeline.runs.get(runId) : undefined;
    if (run && settled(run.counts) >= atLeast) return { child, output, exited, runId: runId! };
  }
  throw new Error(`the run did not get going: ${output.stderr}`);
}

/** The run's ledger items still claimed (IN_PROGRESS). */
async function claimsInProgress(runId: string) {
  const items: Array<Record<string, unknown>> = [];
  for await (const page of paginateScan(
    { client: pipeline.clients.dynamo },
    {
      TableName: pipeline.config.ledgerTable,
      FilterExpression: 'runId = :run AND #state = :inProgress',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':run': runId, ':inProgress': 'IN_PROGRESS' },
    },
  ))
    items.push(...(page.Items ?? []));
  return items;
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

/** The run completed: every object encrypted, state done, counters equal to its audit trail. */
async function expectCompleted(runId: string, bucket: string, keys: string[]) {
  expect(await expectIntact(bucket, keys)).toBe(keys.length);
  const run = (await pipeline.runs.get(runId))!;
  expect(runStatus(run).state).toBe('done');
  expect(run.discovered).toBe(keys.length);
  const audited: Record<string, number> = {};
  const auditedKeys = new Set<string>();
  for await (const record of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, runId)) {
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
  it('Ctrl-C twice stops at once, releases every claim, says how to resume; resume completes the run', async () => {
    const bucket = uniqueBucket('sigint');
    const keys = await seed(bucket);
    const { child, output, exited, runId } = await startEncrypt(bucket, 20);
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output.stderr).toContain('SIGINT: taking no new work');
    expect(output.stdout).toContain(`run ${runId} interrupted at `);
    expect(output.stdout).toMatch(/released \d+ claim\(s\) of jobs stopped in flight/);
    expect(output.stdout).toContain(`resume with: s3-seal resume ${runId}`);
    // Mid-run: some objects done, some not, none claimed, none damaged.
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
    const { child, output, exited, runId } = await startEncrypt(bucket, 20);
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
  it('resume takes over the dead process’s claims at once and completes the run', async () => {
    const bucket = uniqueBucket('sigkill');
    const keys = await seed(bucket);
    const { child, exited, runId } = await startEncrypt(bucket, 20);
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
    const { child, exited, runId } = await startEncrypt(bucket, 20);
    child.kill('SIGKILL');
    await exited;
    expect((await claimsInProgress(runId)).length).toBeGreaterThan(0);

    const again = runCli(
      ['encrypt', `s3://${bucket}`, '--mode', 'envelope', '--key', keyArn, '--local', '--no-progress'],
      150_000,
    );
    expect(again.status, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(await expectIntact(bucket, keys)).toBe(keys.length);
    // The re-run's pollers also served the killed run's queued jobs: it completed as well.
    expect(await claimsInProgress(runId)).toEqual([]);
  }, 300_000);
});
