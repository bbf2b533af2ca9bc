import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import type { Run } from '../../shared/runs/run-store.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let first: Run;
let second: Run;

const OUTCOMES = ['encrypted', 'compliant', 'skipped', 'superseded', 'failed'];

/** The chunk trail's own view of a run: its committed records, counted as outcomes. */
async function trailOutcomes(runId: string) {
  const counts: Record<string, number> = {};
  for (const record of await recordsOfRun(pipeline, runId)) {
    const outcome = record.decision === 'rewrapped' ? 'encrypted' : record.decision;
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

beforeAll(async () => {
  pipeline = await startPipeline('status');
  const key = await createKmsKey(pipeline.clients.kms);
  bucket = uniqueBucket('status');
  await seedBucket(pipeline.clients.s3, bucket, { objects: 30 });
  first = (await pipeline.backfill(bucket, 'envelope', key)).run;
  second = (await pipeline.backfill(bucket, 'envelope', key)).run;
});

describe('s3-seal status', () => {
  it('reports the counts the tally shards hold, done, with a rate', () => {
    const out = runCli(['status', first.runId, '--json']);
    expect(out.status, out.stderr).toBe(0);
    const shown = JSON.parse(out.stdout.trim());
    expect(shown.status).toMatchObject({ state: 'done', remaining: 0, fraction: 1 });
    expect(shown.status.ratePerSecond).toBeGreaterThan(0);
    expect(shown.counts).toEqual(first.counts);
    expect(shown.discovered).toBe(first.discovered);
  });

  // The tally shards count what each chunk commit adds; the committed logs hold the records.
  it('agrees with the committed chunk logs record by record for every run', async () => {
    for (const run of [first, second]) {
      const shown = JSON.parse(runCli(['status', run.runId, '--json']).stdout.trim());
      const fromTrail = await trailOutcomes(run.runId);
      for (const outcome of OUTCOMES) {
        expect(shown.counts[outcome] ?? 0, `${run.runId} ${outcome}`).toBe(fromTrail[outcome] ?? 0);
      }
    }
    expect(second.counts.compliant).toBe(30);
  });

  it('shows the latest run by default, lists recent runs, and refuses an unknown run', () => {
    const latest = runCli(['status']);
    expect(latest.status).toBe(0);
    expect(latest.stdout).toMatch(/^run \S+ /);
    const list = runCli(['status', '--list', '50']);
    expect(list.stdout).toContain(first.runId);
    expect(list.stdout).toContain(second.runId);
    const unknown = runCli(['status', 'no-such-run']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('run no-such-run not found');
  });
});

describe('s3-seal audit export', () => {
  it('yields exactly one JSON line per decision of the run', () => {
    const dir = mkdtempSync(join(tmpdir(), 's3seal-export-'));
    const file = join(dir, 'first.jsonl');
    const out = runCli(['audit', 'export', '--run', first.runId, '-o', file]);
    expect(out.status, out.stderr).toBe(0);
    const records = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(first.discovered);
    expect(new Set(records.map((r) => r.key)).size).toBe(first.discovered);
    expect(records.every((r) => r.runId === first.runId && r.bucket === bucket)).toBe(true);
    const decisions: Record<string, number> = {};
    for (const r of records) decisions[r.decision] = (decisions[r.decision] ?? 0) + 1;
    expect(decisions.encrypted ?? 0).toBe(first.counts.encrypted);
    expect(decisions.compliant ?? 0).toBe(first.counts.compliant);
    expect(decisions.skipped ?? 0).toBe(first.counts.skipped);
  });

  it('exports a bucket across runs as CSV: a header and one row per decision', async () => {
    const out = runCli(['audit', 'export', '--bucket', bucket, '--format', 'csv']);
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.split('\r\n').filter(Boolean);
    expect(lines[0]).toMatch(/^at,runId,jobId,decision,bucket,key,/);
    // Awkward keys are quoted, never split across rows: one row per decision of both runs.
    expect(lines).toHaveLength(1 + first.discovered + second.discovered);
    expect((await listKeys(pipeline.clients.s3, bucket)).length).toBe(first.discovered);
  });

  it('refuses --run and --bucket together (neither: the latest run, see report.test.ts)', () => {
    const out = runCli(['audit', 'export', '--run', first.runId, '--bucket', bucket]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('give one of --run ID or --bucket B');
  });
});
