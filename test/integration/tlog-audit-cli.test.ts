import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWKWARD_KEYS } from '../../cli/seed-bucket.js';
import { parseTlogProof } from '../../shared/tlog/tlog-proof.js';
import { encodeLeafEntry } from '../../shared/transparency/leaf-entry.js';
import { runCli } from '../helpers/cli.js';
import { type LogDeploymentContext, setUpLogDeployment } from '../helpers/tlog-cli-log.js';
import { runTool } from '../helpers/tlog-directory.js';
import { readObject } from '../helpers/tlog-s3.js';

// The transparency log's commands over a 304-leaf log in LocalStack S3, written by the real
// sequencer (a backfill, synthetic chunks, then `encrypt --local` through the CLI), checked by
// independent tools: tessera's fsck reads the tiles over LocalStack's HTTP endpoint, the Go checker
// (x/mod/sumdb/tlog, transparency-dev/formats) checks `audit proof`'s output offline.
let deployment: LogDeploymentContext;

beforeAll(async () => {
  deployment = await setUpLogDeployment('tlog-cli');
}, 300_000);

afterAll(async () => {
  await deployment?.cleanup();
});

describe('audit checkpoint, audit verify --all and fsck on a clean log', () => {
  it('prints the checkpoint as stored, and the log, its key and place as JSON', async () => {
    const stored = (
      await readObject(deployment.pipeline.clients.s3, deployment.logBucket, deployment.logKey('checkpoint'))
    ).toString('utf8');
    const plain = runCli(['audit', 'checkpoint']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toBe(stored);
    expect(stored.split('\n').slice(0, 2)).toEqual([deployment.origin, '304']);
    expect(plain.stderr).toContain(
      `transparency log ${deployment.origin}: 304 leaves, checkpoint verified; tiles at s3://${deployment.logBucket}/${deployment.logPrefix}`,
    );

    const json = runCli(['audit', 'checkpoint', '--json']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      origin: deployment.origin,
      bucket: deployment.logBucket,
      prefix: deployment.logPrefix,
      verifierKey: readFileSync(deployment.vkeyFile, 'utf8'),
      checkpoint: stored,
    });
  });

  it('verifies the whole trail and the log, and that it grew from the saved checkpoint', () => {
    const out = deployment.verifyAll('--since', deployment.older);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      'whole trail: 840 audit record(s) of 840 object(s) and 3 closed run(s) checked; no problems',
    );
    expect(out.stderr).toMatch(
      new RegExp(
        `transparency log ${deployment.origin}: 304 leaves, checkpoint verified \\(key ${deployment.origin}\\+[0-9a-f]{8}\\); its tiles and 2 entry bundle\\(s\\) hash to its root; 304 chunk log\\(s\\) hash as their leaves record; 304 of 304 committed chunk\\(s\\) are leaves; no problems`,
      ),
    );
    expect(out.stderr).toContain(
      `transparency log: it grew from 302 to 304 leaves since ${deployment.older} (consistency proof checked)`,
    );
  });

  it('passes tessera fsck over LocalStack S3', async () => {
    const run = await deployment.fsck();
    expect(run.output).toMatch(/Successfully fsck'd log with size 304 and root /);
    expect(run.output).not.toMatch(/fsck failed/);
  });
});

describe('audit proof', () => {
  const key = AWKWARD_KEYS[0]!; // a key with spaces

  it("proves the object's latest decision; the Go checker verifies it offline with the chunk log", async () => {
    const out = runCli(['audit', 'proof', `s3://${deployment.bucket}/${key}`]);
    expect(out.status, out.stderr).toBe(0);
    const proof = parseTlogProof(out.stdout);
    const extra = JSON.parse(Buffer.from(proof.extra!).toString('utf8'));
    expect(proof.index).toBeGreaterThanOrEqual(302); // the second run's chunks
    expect(out.stderr).toMatch(
      new RegExp(
        `^s3://${deployment.bucket}/${key}: encrypted at \\S+ \\(run ${deployment.secondRun} chunk [0-9a-f]{24} position \\d+\\) is leaf ${proof.index} of 304 in transparency log ${deployment.origin}; the proof checks with its key\\n$`,
      ),
    );
    const proofFile = deployment.file('object.tlog-proof', out.stdout);
    const entryFile = deployment.file('entry', encodeLeafEntry(extra));
    const logFile = deployment.file(
      'chunk-log.gz',
      await readObject(deployment.pipeline.clients.s3, extra.bucket, extra.key),
    );
    const check = (entry: string, ...more: string[]) =>
      runTool(deployment.tools.checker, [
        'proof',
        '--vkey-file',
        deployment.vkeyFile,
        '--origin',
        deployment.origin,
        '--proof-file',
        proofFile,
        '--entry-file',
        entry,
        ...more,
      ]);
    const ok = await check(entryFile, '--chunk-log', logFile);
    expect(ok.output).toMatch(
      new RegExp(`^ok proof of leaf ${proof.index} in 304: s3://${deployment.bucket}/${key} encrypted at `),
    );
    expect(ok.code).toBe(0);
    // Another leaf's entry, or an altered chunk log, does not pass.
    const other = deployment.file('other-entry', encodeLeafEntry({ ...extra, sha256: 'a'.repeat(64) }));
    expect((await check(other)).output).toMatch(/inclusion proof: invalid transparency proof/);
    const altered = readFileSync(logFile);
    altered[altered.length - 5]! ^= 1;
    expect((await check(entryFile, '--chunk-log', deployment.file('altered.gz', altered))).output).toMatch(
      /does not hash to the leaf's sha256/,
    );

    const written = runCli([
      'audit',
      'proof',
      `s3://${deployment.bucket}/${key}`,
      '--output',
      join(deployment.scratch, 'out.tlog-proof'),
    ]);
    expect(written.status).toBe(0);
    expect(written.stdout).toBe('');
    expect(readFileSync(join(deployment.scratch, 'out.tlog-proof'), 'utf8')).toBe(out.stdout);
  });

  it('refuses an object never decided, and a bad --since file, in one line with exit 1', () => {
    const never = runCli(['audit', 'proof', `s3://${deployment.bucket}/no-such-key`]);
    expect(never.status).toBe(1);
    expect(never.stderr).toBe(
      `s3-seal: error: s3://${deployment.bucket}/no-such-key: s3-seal recorded no decision about it (check the bucket, key and version)\n`,
    );
    const missing = deployment.verifyAll('--since', join(deployment.scratch, 'nope'));
    expect([missing.status, missing.stderr]).toEqual([
      1,
      `s3-seal: error: --since ${join(deployment.scratch, 'nope')}: no such file\n`,
    ]);
    const junk = deployment.verifyAll('--since', deployment.file('junk', 'not a checkpoint\n'));
    expect(junk.status).toBe(1);
    expect(junk.stderr).toMatch(
      /^s3-seal: error: --since \S+junk: not a checkpoint of this log signed by its key: .*\n$/,
    );
  });

  it('without the KMS key: a one-line error, and an outsider checks with the verifier key alone', () => {
    const env = { ...process.env, S3SEAL_TLOG_KEY: 'alias/s3-seal-tlog-none' };
    const noKey = runCli(['audit', 'checkpoint'], 150_000, env);
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toBe(
      "s3-seal: error: transparency log: KMS key alias/s3-seal-tlog-none not found (S3SEAL_TLOG_KEY): run `s3-seal setup`, or give the log's --verifier-key\n",
    );
    const vkey = readFileSync(deployment.vkeyFile, 'utf8');
    const outsider = runCli(
      ['audit', 'verify', '--all', '--verifier-key', vkey, '--since', deployment.older],
      150_000,
      env,
    );
    expect(outsider.status, outsider.stdout).toBe(0);
    const proof = runCli(
      ['audit', 'proof', `s3://${deployment.bucket}/${AWKWARD_KEYS[0]}`, '--verifier-key', vkey],
      150_000,
      env,
    );
    expect(proof.status).toBe(0);
  });
});
