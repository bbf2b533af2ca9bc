import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';

/**
 * The README's quick start is a promise: its commands run exactly as written in a clone after
 * `npm ci`. This test takes the fenced bash blocks between the README's quick-start markers and runs
 * them verbatim, in order, in one bash process that stops at the first line that exits non-zero and
 * names it. The only thing the test adds is its own queue prefix and tables (environment, not
 * text), so that "the latest run" is the quick start's own on a stack other tests share.
 */
const BEGIN = '<!-- quick-start:begin';
const END = '<!-- quick-start:end -->';

function quickStartScript(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} section`);
  const blocks = [...readme.slice(start, end).matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.join('');
}

describe('README quick start', () => {
  it('runs verbatim against the local stack: every line exits 0, and the bucket ends under the key, bytes unchanged', async () => {
    const script = quickStartScript(readFileSync('README.md', 'utf8'));
    for (const step of ['setup', 'plan', 'encrypt', 'verify', 'report']) {
      expect(script, `the quick start runs s3-seal ${step}`).toMatch(
        new RegExp(`^npx s3-seal ${step}\\b`, 'm'),
      );
    }
    const prefix = `it-readme-${randomUUID().slice(0, 6)}`;
    const env = {
      ...process.env,
      S3SEAL_QUEUE_PREFIX: prefix,
      S3SEAL_LEDGER_TABLE: `${prefix}-ledger`,
      S3SEAL_AUDIT_TABLE: `${prefix}-audit`,
      // A transparency log of its own: the sequencer's state lives in the ledger table.
      S3SEAL_TLOG_PREFIX: `${prefix}-tlog/`,
    };
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['bin/s3-seal.js', ...args], {
        encoding: 'utf8',
        env,
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
    const reportExisted = existsSync('report.html');
    const result = spawnSync(
      'bash',
      [
        '-c',
        // -E carries the ERR trap into functions and subshells; the trap names the failing line.
        `set -eEuo pipefail\ntrap 'echo "quick start: line $((LINENO - 2)) exited $?: $BASH_COMMAND" >&2' ERR\n${script}`,
      ],
      {
        encoding: 'utf8',
        env,
        timeout: 120_000,
        killSignal: 'SIGKILL',
      },
    );
    let report = '';
    try {
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      report = readFileSync('report.html', 'utf8');
    } finally {
      if (!reportExisted) rmSync('report.html', { force: true });
    }

    const verified = /^verified (\d+) objects under s3:\/\/([^/\s]+)\/: (\d+) compliant, 0 not$/m.exec(
      result.stdout,
    );
    expect(verified, result.stdout).not.toBeNull();
    const [, count, bucket, compliant] = verified!;
    const objects = Number(count);
    expect(objects).toBeGreaterThan(0);
    expect(Number(compliant)).toBe(objects);

    // The run the quick start made: the only one in this test's own tables.
    const listedRuns = cli(['status', '--list']);
    expect(listedRuns.status, listedRuns.stderr).toBe(0);
    const runIds = listedRuns.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]!);
    expect(runIds).toHaveLength(1);
    const runId = runIds[0]!;
    expect(report).toContain(runId);

    // Independently of s3-seal's own verify: every object of the bucket was encrypted once by this
    // run, is now SSE-KMS under the run's key with Bucket Key on, and holds the bytes it had before
    // (their MD5 is the ETag the audit trail recorded before the write).
    const exported = cli(['audit', 'export', '--run', runId]);
    expect(exported.status, exported.stderr).toBe(0);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            decision: string;
            bucket: string;
            key: string;
            keyArn: string;
            etagBefore: string;
          },
      );
    expect(records.map((r) => [r.decision, r.bucket])).toEqual(Array(objects).fill(['encrypted', bucket]));
    const keyArns = new Set(records.map((r) => r.keyArn));
    expect(keyArns.size).toBe(1);
    const [keyArn] = keyArns;

    const { s3 } = createClients(loadConfig());
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.length).toBe(objects);
    for (const { Key } of listed.Contents!) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      expect(head.ServerSideEncryption).toBe('aws:kms');
      expect(head.SSEKMSKeyId).toBe(keyArn);
      expect(head.BucketKeyEnabled).toBe(true);
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))
      ).Body!.transformToByteArray();
      const before = records.find((r) => r.key === Key)!.etagBefore;
      expect(`"${createHash('md5').update(body).digest('hex')}"`).toBe(before);
    }
  });
});
