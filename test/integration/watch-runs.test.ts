import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketEncryptionCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { watchRunId } from '../../shared/events/event-chunk.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * Live-enforcement (watch) runs are ordinary runs (issue 24, item 6): `status`, `status --list`,
 * `report` and `audit` show them like any other, and `worker` logs one line per object. Before,
 * `status` printed `undefined s3://undefined/undefined` and advised `resume`, `report` rendered
 * `on s3:///`, `status --list` left them out and the worker printed nothing per object.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let runId: string;
let worker: ReturnType<typeof runCli>;
const KEYS = ['a.txt', 'b c.txt', 'deep/d.txt'];

beforeAll(async () => {
  pipeline = await startPipeline('watch-runs');
  bucket = uniqueBucket('watch-runs');
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await pipeline.clients.s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
  // --no-default-encryption: the uploads must reach the event path unencrypted.
  const watched = runCli(
    ['setup', '--watch', `s3://${bucket}`, '--mode', 'sse-s3', '--no-default-encryption'],
    60_000,
  );
  expect(watched.status, watched.stderr).toBe(0);
  for (const key of KEYS)
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${key}` }),
    );
  runId = watchRunId(bucket, new Date());
  worker = runCli(['worker', '--until-idle', '--idle-seconds', '3', '--pollers', '2'], 120_000);
}, 180_000);

describe('a watch run', () => {
  it('is served by a worker that logs one info line per object', async () => {
    expect(worker.status, worker.stderr).toBe(0);
    // The echoes of its own writes are acknowledged with nothing recorded: debug, not a second line.
    for (const key of KEYS) {
      expect((await headObject(pipeline.clients.s3, bucket, key))!.serverSideEncryption, key).toBe('AES256');
      const lines = worker.stdout
        .split('\n')
        .filter((line) => line.includes('"event handled"') && line.includes(`"key":"${key}"`));
      expect(lines, key).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: 'INFO',
        runId,
        bucket,
        key,
        outcome: 'encrypted',
      });
    }
  });

  it('status prints its bucket, mode and decisions, and advises nothing', () => {
    const out = runCli(['status', runId], 60_000);
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`run ${runId}  sse-s3  s3://${bucket}/`);
    expect(lines[1]).toMatch(/^ {2}started \S+Z by live enforcement \(setup --watch\)$/);
    expect(lines[2]).toBe(
      '  watching 3 object(s) decided (live enforcement: each new upload is one job, no scan)',
    );
    expect(lines[3]).toBe('  encrypted 3 · compliant 0 · skipped 0 · superseded 0 · failed 0');
    expect(lines).toHaveLength(4);
    expect(out.stdout).not.toContain('undefined');
    expect(out.stdout).not.toContain('resume');
  });

  it('status --list includes it', () => {
    const out = runCli(['status', '--list', '50'], 60_000);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.split('\n')).toContain(
      `${runId}  watching 3 object(s) decided (live enforcement: each new upload is one job, no scan)`,
    );
  });

  it('report renders its bucket and decisions', () => {
    const html = join(mkdtempSync(join(tmpdir(), 'watch-report-')), 'report.html');
    const out = runCli(['report', runId, '--html', html], 60_000);
    expect(out.status, out.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain(
      `sse-s3 on <code>s3://${bucket}/</code>:\nwatching, 3 objects decided (live enforcement: each new upload is one job, no scan).`,
    );
    expect(page).not.toContain('s3:///');
    expect(page).not.toContain('undefined');
  });

  it('audit export and audit verify take its id like any run id', () => {
    const exported = runCli(['audit', 'export', '--run', runId], 60_000);
    expect(exported.status, exported.stderr).toBe(0);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((r) => r.key).sort()).toEqual([...KEYS].sort());
    const verified = runCli(['audit', 'verify', '--run', runId], 60_000);
    expect(verified.status, `${verified.stdout}\n${verified.stderr}`).toBe(0);
  });

  it('resume refuses it at once: a watch run has no scan to finish', () => {
    const out = runCli(['resume', runId], 60_000);
    expect(out.status).toBe(1);
    expect(out.stderr.trim()).toBe(
      `s3-seal: error: run ${runId} is a live-enforcement run: its events are handled as they arrive (deployed functions or \`s3-seal worker\`); there is nothing to resume`,
    );
  });
});
