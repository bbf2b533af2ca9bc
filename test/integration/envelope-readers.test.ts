import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { envelopeReadersNotice } from '../../cli/envelope-readers.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/*
 * Issue 24, item 5: envelope mode turns every object into ciphertext for every reader that is not
 * an S3 Encryption Client. `--help`, `plan`, `encrypt` (before any write) and the run summary say
 * so, name the official clients that read the format written, and how to undo it.
 */

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('readers');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

async function bucketWithTwoObjects(label: string): Promise<string> {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  for (const key of ['a.csv', 'b.csv'])
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x,y\n1,2\n' }));
  return bucket;
}

const V3_READERS = 'Java 4.x, Go v4, .NET 4.x and Python 4.x with their default settings';
const V2_READERS = 'Java 3.x and Go v3 with their default settings';

describe('what envelope mode does to readers', () => {
  it('encrypt --help and plan --help say it: S3EC readers only, which clients read V3 and V2, and the undo', () => {
    for (const command of ['encrypt', 'plan']) {
      const help = runCli([command, '--help']);
      expect(help.status, command).toBe(0);
      const text = help.stdout.replace(/\s+/g, ' ');
      expect(text, command).toContain(
        'Envelope mode encrypts client-side: afterwards only an S3 Encryption Client (S3EC) reads the objects. ' +
          'Plain GetObject, `aws s3 cp`, Athena, CloudFront and every other S3 reader get ciphertext.',
      );
      expect(text, command).toContain(`V3 (the default) is read by ${V3_READERS}`);
      expect(text, command).toContain(`V2 (encrypt --s3ec-format v2) is read by ${V2_READERS}`);
      expect(text, command).toContain('Java 4.x and Go v4 only with a legacy commitment policy');
      expect(text, command).toContain('Undo: `s3-seal decrypt s3://BUCKET/KEY -o FILE`');
      expect(text, command).toContain('use --mode sse-kms instead');
    }
  });

  it('plan --mode envelope says it before its tables (and in --json); other modes do not', async () => {
    const bucket = await bucketWithTwoObjects('readers-plan');
    const plan = runCli(['plan', `s3://${bucket}`, '--mode', 'envelope', '--key', keyArn]);
    expect(plan.status, plan.stderr).toBe(0);
    const notice = envelopeReadersNotice('v3').join('\n');
    expect(plan.stdout).toContain(notice);
    expect(plan.stdout.indexOf(notice)).toBeLessThan(plan.stdout.indexOf('Objects by state'));
    expect(notice).toContain('only an S3 Encryption Client reads these objects');
    expect(notice).toContain('ciphertext for: plain GetObject, `aws s3 cp`, Athena, CloudFront');
    expect(notice).toContain(`S3EC V3 (written here) is read by: ${V3_READERS}`);
    expect(notice).toContain('undo: `s3-seal decrypt s3://BUCKET/KEY -o FILE`');

    const json = runCli(['plan', `s3://${bucket}`, '--mode', 'envelope', '--key', keyArn, '--json']);
    expect(JSON.parse(json.stdout).readers).toMatchObject({
      format: 'v3',
      officialClients: expect.stringContaining(V3_READERS),
      ciphertextFor: expect.stringContaining('Athena'),
      undo: 's3-seal decrypt',
    });
    const serverSide = runCli(['plan', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn]);
    expect(serverSide.stdout).not.toContain('S3 Encryption Client');
    expect(serverSide.stdout).not.toContain('readers:');
  });

  it('encrypt --mode envelope says it before the run is recorded, and again after the summary', async () => {
    const bucket = await bucketWithTwoObjects('readers-run');
    const run = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'envelope',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    // Before the `run <id>` line: printed once the input is accepted, before the run is recorded.
    expect(run.stderr.startsWith(`${envelopeReadersNotice('v3').join('\n')}\nrun `), run.stderr).toBe(true);
    expect(run.stdout).toMatch(/encrypted\s+2\n/);
    expect(run.stdout).toContain(
      `  readers              S3 Encryption Clients only; S3EC V3 is read by: ${V3_READERS}`,
    );
    expect(run.stdout).toContain(
      'ciphertext for: plain GetObject, `aws s3 cp`, Athena, CloudFront and every other S3 reader; undo: s3-seal decrypt',
    );
  });

  it('names the V2 readers for --format v2, says nothing for server-side modes or refused input', async () => {
    const bucket = await bucketWithTwoObjects('readers-v2');
    const queued = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'envelope',
      '--key',
      keyArn,
      '--format',
      'v2',
    ]);
    expect(queued.status, queued.stderr).toBe(0);
    expect(queued.stderr).toContain(envelopeReadersNotice('v2').join('\n'));
    expect(queued.stderr).toContain(
      `S3EC V2 (written here) is read by: ${V2_READERS}; Java 4.x and Go v4 only`,
    );
    expect(queued.stdout.trim()).toMatch(/^\S+$/); // the run id alone, for scripts

    const serverSide = runCli(['encrypt', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn]);
    expect(serverSide.stderr).not.toContain('S3 Encryption Client');
    const refused = runCli(['encrypt', 's3://no-such-bucket-here', '--mode', 'envelope', '--key', keyArn]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe('s3-seal: error: bucket no-such-bucket-here does not exist\n');
  });
});
