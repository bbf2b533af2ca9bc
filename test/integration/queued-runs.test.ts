import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  pipeline = await startPipeline('queued-runs');
  [keyA, keyB] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
});

/** The queue-name prefix startPipeline gave this file (the CLI reads the same variable). */
const queue = (name: string) => `${process.env.S3SEAL_QUEUE_PREFIX}-${name}`;

/** What a command that only queued run `runId` on `queueName` prints after its own first line. */
const queuedLines = (runId: string, queueName: string) => [
  `run ${runId} is queued on ${queueName}, not processed by this command: the deployed Lambda functions or an \`s3-seal worker\` serving the queues process it (objects too large for Lambda: a worker only)`,
  `  follow it:        s3-seal status ${runId} --watch`,
  `  process it here:  s3-seal resume ${runId}`,
];

async function kmsKeysOf(bucket: string) {
  const keys: (string | undefined)[] = [];
  for (const key of await listKeys(pipeline.clients.s3, bucket)) {
    keys.push((await headObject(pipeline.clients.s3, bucket, key))!.kmsKeyArn);
  }
  return keys;
}

describe('a run started without --local', () => {
  it('encrypt prints the run id, says it is only queued, for whom, and the next commands; resume RUN completes it', async () => {
    const bucket = uniqueBucket('queued');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 4 });
    const out = runCli(['encrypt', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyA]);
    expect(out.status, out.stderr).toBe(0);
    const runId = out.stdout.trim();
    expect(out.stdout).toBe(`${runId}\n`);
    expect(out.stderr.split('\n')).toEqual([
      `run ${runId}: sse-kms under ${keyA} for s3://${bucket}/; objects under other KMS keys: re-keyed (--other-kms-keys leave keeps them)`,
      ...queuedLines(runId, queue('scan')),
      '',
    ]);
    // Queued only: nothing processed it.
    expect(await kmsKeysOf(bucket)).toEqual([undefined, undefined, undefined, undefined]);

    const resumed = runCli(['resume', runId, '--no-progress']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`run ${runId} (sse-kms) s3://${bucket}/`);
    expect(resumed.stdout).toMatch(/encrypted\s+4\b/);
    expect(await kmsKeysOf(bucket)).toEqual([keyA, keyA, keyA, keyA]);
  });

  it('rewrap and rotate say the same, naming the queue their plan went to; resume completes a rewrap', async () => {
    const bucket = uniqueBucket('queued-rw');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 3 });
    const sealed = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      keyA,
      '--local',
      '--no-progress',
    ]);
    expect(sealed.status, sealed.stderr).toBe(0);

    // --scan lists here and queues rewrap jobs directly.
    const scanned = runCli(['rewrap', `s3://${bucket}`, '--from', keyA, '--to', keyB, '--scan']);
    expect(scanned.status, scanned.stderr).toBe(0);
    const scanRun = scanned.stdout.trim();
    expect(scanned.stderr.split('\n').slice(1, -1)).toEqual(queuedLines(scanRun, queue('rewrap')));
    const resumed = runCli(['resume', scanRun, '--no-progress']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/re-wrapped\s+3\b/);
    expect(await kmsKeysOf(bucket)).toEqual([keyB, keyB, keyB]);

    // From B's manifest: a plan this small is read by the planner itself, which queues its
    // chunks on the rewrap queue (larger plans chain manifest pages through the scan queue).
    const indexed = runCli(['rewrap', `s3://${bucket}`, '--from', keyB, '--to', keyA]);
    expect(indexed.status, indexed.stderr).toBe(0);
    const indexRun = indexed.stdout.trim();
    expect(indexed.stderr.split('\n').slice(1, -1)).toEqual(queuedLines(indexRun, queue('rewrap')));
    expect(runCli(['resume', indexRun, '--no-progress']).status).toBe(0);
    expect(await kmsKeysOf(bucket)).toEqual([keyA, keyA, keyA]);

    const rotated = runCli(['rotate', '--key', keyA]);
    expect(rotated.status, rotated.stderr).toBe(0);
    const rotateRun = rotated.stdout.trim();
    // rotate --key first previews what it re-wraps (per bucket), then plans and queues.
    const rotateQueued = queuedLines(rotateRun, queue('rewrap'));
    expect(rotated.stderr.split('\n').slice(-1 - rotateQueued.length, -1)).toEqual(rotateQueued);
    expect(rotated.stderr).toMatch(/^re-wrap \d+ object\(s\) in \d+ bucket\(s\)/);
    expect(runCli(['resume', rotateRun, '--no-progress']).status).toBe(0);

    // Nothing to re-wrap (no object was ever under a fresh key): no queued work, no next command.
    const unused = await createKmsKey(pipeline.clients.kms);
    const none = runCli(['rewrap', `s3://${bucket}`, '--from', unused, '--to', keyA]);
    expect(none.status, none.stderr).toBe(0);
    const noneRun = none.stdout.trim();
    expect(none.stderr.split('\n').slice(1)).toEqual([
      `run ${noneRun}: nothing queued: no object to re-wrap`,
      '',
    ]);
  });
});
