import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../shared/audit/audit-record.js';
import { barChart, ticks } from '../../../../shared/report/bar-chart.js';
import { escapeHtml } from '../../../../shared/report/html.js';
import { reasonOf } from '../../../../shared/report/remedies.js';
import { runFacts, SAMPLE_PER_REASON } from '../../../../shared/report/run-facts.js';
import { renderRunReport } from '../../../../shared/report/run-report.js';
import { emptyCounts, type Run } from '../../../../shared/runs/run-store.js';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/target';
const OLD = 'arn:aws:kms:eu-west-1:111122223333:key/old';
const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, s)).toISOString();
let job = 0;
const record = (decision: AuditRecord['decision'], fields: Partial<AuditRecord> = {}): AuditRecord => ({
  decision,
  runId: 'r',
  jobId: `j${job++}`,
  actor: 'worker:host-1',
  bucket: 'b',
  key: `k${job}`,
  mode: 'sse-kms',
  at: at(job % 50),
  ...fields,
});
const run = (fields: Partial<Run> = {}): Run => ({
  runId: 'r',
  bucket: 'b',
  prefix: 'data/',
  mode: 'sse-kms',
  keyArn: KEY,
  startedAt: at(0),
  closedAt: at(90),
  auditDigest: 'ab'.repeat(32),
  digestAlgorithm: 'lthash16-sha256',
  auditRecords: 4,
  discovered: 4,
  pagesScanned: 1,
  scanComplete: true,
  counts: { ...emptyCounts(), encrypted: 2, compliant: 1, skipped: 1 },
  ...fields,
});
const context = {
  generatedAt: new Date(Date.UTC(2026, 10, 23, 11)),
  toolVersion: '9.9.9',
  auditCheck: { records: 4, objects: 4, problems: [], digest: 'matches' as const },
  versionsLeft: { versioned: true, noncurrent: 5, plaintext: 3, checked: 5 },
};

describe('the run report', () => {
  it('escapes everything that comes from object keys and reasons', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe(
      '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;',
    );
    const html = renderRunReport(
      run({ counts: { ...emptyCounts(), skipped: 1 } }),
      [record('skipped', { key: '<script>alert(1)</script>', reason: '<img src=x onerror=alert(2)>' })],
      context,
    );
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img');
    expect(html).toContain('s3://b/&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('counts protection before and after, bytes, source keys and actors from the records', () => {
    const records = [
      record('encrypted', { protectionBefore: 'unencrypted', size: 100 }),
      record('encrypted', {
        protectionBefore: 'sse-kms',
        keyArnBefore: OLD,
        size: 50,
        actor: 'worker:host-2',
      }),
      record('compliant', { protectionBefore: 'sse-kms', keyArnBefore: KEY, size: 7 }),
      record('skipped', { protectionBefore: 'archived', reason: 'archived', size: 1 }),
      record('superseded', { reason: 'object changed during processing' }),
    ];
    const facts = runFacts(run(), records);
    expect(facts.statesBefore).toEqual({
      unencrypted: 1,
      'sse-kms (other key)': 1,
      'sse-kms (target key)': 1,
      archived: 1,
      'not recorded': 1,
    });
    expect(facts.statesAfter).toEqual({
      'sse-kms (target key)': 3,
      archived: 1,
      'replaced by a newer write': 1,
    });
    expect(facts.bytesProtected).toBe(150);
    expect(facts.bytesDecided).toBe(158);
    expect(facts.sizesUnknown).toBe(1);
    expect(facts.sourceKeys).toEqual({ [OLD]: 1 });
    expect(facts.actors).toEqual(['worker:host-1', 'worker:host-2']);
    expect(facts.outcomes).toEqual({
      encrypted: 2,
      'already compliant': 1,
      'skipped: archived': 1,
      'superseded: object-changed': 1,
    });
  });

  it("names a re-wrap's source key from its run, and envelope states after from the run's format", () => {
    const rewrap = runFacts(run({ mode: 'rewrap', fromKeyArn: OLD }), [
      record('rewrapped', { protectionBefore: 'envelope-v3', mode: 'rewrap' }),
    ]);
    expect(rewrap.sourceKeys).toEqual({ [OLD]: 1 });
    expect(rewrap.statesBefore).toEqual({ 'envelope-v3 (source key)': 1 });
    expect(rewrap.statesAfter).toEqual({ 'envelope-v3 (target key)': 1 });
    const envelope = runFacts(run({ mode: 'envelope', format: 'v2' }), [
      record('encrypted', { protectionBefore: 'unencrypted' }),
    ]);
    expect(envelope.statesAfter).toEqual({ 'envelope-v2': 1 });
  });

  it('groups unprotected objects by reason, biggest first, with a bounded sorted sample', () => {
    const skips = Array.from({ length: SAMPLE_PER_REASON + 5 }, (_, i) =>
      record('skipped', { key: `cold/${String(i).padStart(3, '0')}`, reason: 'archived' }),
    );
    const records = [
      ...skips,
      record('skipped', { reason: 'sse-c (from the inventory row)' }),
      record('skipped', { reason: 'deleted during processing' }),
      record('failed', { error: 'AccessDenied: kms:GenerateDataKey' }),
    ];
    const facts = runFacts(run(), records);
    expect(facts.problems.map((g) => [g.decision, g.reason, g.count])).toEqual([
      ['skipped', 'archived', SAMPLE_PER_REASON + 5],
      ['failed', 'error', 1],
      ['skipped', 'missing', 1],
      ['skipped', 'sse-c', 1],
    ]);
    expect(facts.problems[0]!.sample.map((r) => r.key)).toEqual(
      Array.from({ length: SAMPLE_PER_REASON }, (_, i) => `cold/${String(i).padStart(3, '0')}`),
    );
    const html = renderRunReport(
      run({ counts: { ...emptyCounts(), skipped: 27, failed: 1 } }),
      records,
      context,
    );
    expect(html).toContain('and 5 more');
    expect(html).toContain('Restore it (S3 RestoreObject');
    expect(html).toContain('encrypt --sse-c-key-file FILE');
    expect(html).toContain('<span class="error">AccessDenied: kms:GenerateDataKey</span>');
    expect(html).not.toContain(`cold/0${SAMPLE_PER_REASON}`);
  });

  it('reads reasons as codes where it can', () => {
    expect(reasonOf({ decision: 'skipped', reason: 'sse-c (from the inventory row)' })).toBe('sse-c');
    expect(reasonOf({ decision: 'superseded', reason: 'object changed during processing' })).toBe(
      'object-changed',
    );
    expect(reasonOf({ decision: 'failed', error: 'x' })).toBe('error');
    expect(reasonOf({ decision: 'failed', reason: 'KmsKeyDisabledError' })).toBe('KmsKeyDisabledError');
  });

  it('states what an auditor files: keys, times, duration, actor, tool, verify verdict, digest, versions left', () => {
    const html = renderRunReport(
      run(),
      [
        record('encrypted', { protectionBefore: 'unencrypted', size: 2048 }),
        record('encrypted', { protectionBefore: 'sse-s3', size: 2048 }),
        record('compliant', { protectionBefore: 'sse-kms', keyArnBefore: KEY }),
        record('skipped', { protectionBefore: 'sse-c', reason: 'sse-c' }),
      ],
      context,
    );
    expect(html).toContain(`<tr><th scope="row">target key</th><td><code>${KEY}</code></td></tr>`);
    expect(html).toContain('none: the objects it protected were under no KMS key');
    expect(html).toContain(`<tr><th scope="row">started</th><td>${at(0)}</td></tr>`);
    expect(html).toContain(`<tr><th scope="row">ended</th><td>${at(90)}</td></tr>`);
    expect(html).toContain('<tr><th scope="row">duration</th><td>1.5 min</td></tr>');
    expect(html).toContain('<code>worker:host-1</code>');
    expect(html).toContain('s3-seal 9.9.9');
    expect(html).toContain('4.0 KiB (4,096 bytes) protected');
    expect(html).toContain('NOT COMPLIANT: 1 of 4 objects');
    expect(html).toContain(`s3-seal verify s3://b/data/ --mode sse-kms --key ${KEY}`);
    expect(html).toContain(`Run digest <code>${'ab'.repeat(32)}</code> (lthash16-sha256)`);
    expect(html).toContain('<code>s3-seal audit verify --run r</code>');
    expect(html).toContain('no problems in 4 records of 4 objects; digest matches');
    expect(html).toContain('<strong>3</strong> plaintext noncurrent version(s) of 5');
    expect(html).toContain('<tr><th>unencrypted</th><td class="n">1</td><td class="n">0</td></tr>');
    expect(html).toContain('<tr><th>sse-kms (target key)</th><td class="n">1</td><td class="n">3</td></tr>');
    expect(html).toMatch(/<svg id="outcomes-chart"[^>]*>/);
    expect(html).toMatch(/<svg id="before-chart"[^>]*>/);
    expect(html).toMatch(/<svg id="after-chart"[^>]*>/);
    expect(html).not.toMatch(/<(link|img)\b|src=|https?:\/\//);
  });
});

describe('the verify verdict', () => {
  const records = [record('encrypted'), record('skipped', { reason: 'archived' })];
  it('says a live check (report --verify) with its time and each problem, bounded', () => {
    const named = Array.from({ length: 20 }, (_, i) => ({ key: `k<${i}>`, problem: 'unencrypted' }));
    const liveVerify = { at: at(95), checked: 30, compliant: 5, problems: 25, named };
    const html = renderRunReport(run(), records, { ...context, liveVerify });
    expect(html).toContain(
      'NOT COMPLIANT (checked live): 25 of 30 current objects under s3://b/data/ are not protected as the run asked.',
    );
    expect(html).toContain('<li><code>k&#60;0&#62;</code>: unencrypted</li>');
    expect(html).toContain(
      `and 5 more (every one: <code>s3-seal verify s3://b/data/ --mode sse-kms --key ${KEY}</code>)`,
    );
    expect(html).toContain(`Checked at ${at(95)}`);
    expect(html).not.toContain("Read from the run's audit records");
  });

  it('passes a live check only when objects were checked and none has a problem', () => {
    const pass = { at: at(95), checked: 3, compliant: 3, problems: 0, named: [] };
    expect(renderRunReport(run(), records, { ...context, liveVerify: pass })).toContain(
      'PASS (checked live): all 3 current objects under s3://b/data/ are protected as the run asked.',
    );
    const none = { ...pass, checked: 0, compliant: 0 };
    expect(renderRunReport(run(), records, { ...context, liveVerify: none })).toContain(
      'NOTHING CHECKED (live)',
    );
    expect(renderRunReport(run(), records, { ...context, liveVerify: { error: 'AccessDenied' } })).toContain(
      'NOT CHECKED: the live verify failed: AccessDenied',
    );
  });

  it('without --verify, reads the verdict from the records and says so', () => {
    const html = renderRunReport(run(), records, context);
    expect(html).toContain("Read from the run's audit records, not checked live");
  });
});

describe('the report of a live-enforcement run', () => {
  it('takes bucket, mode and start from the records when the run has no run item', () => {
    const watch = {
      runId: 'w',
      discovered: 0,
      pagesScanned: 0,
      scanComplete: false,
      counts: { ...emptyCounts(), encrypted: 1 },
    };
    const html = renderRunReport(
      watch as unknown as Run,
      [record('encrypted', { bucket: 'live', at: at(7) })],
      context,
    );
    expect(html).toContain('<code>s3://live/</code>');
    expect(html).toContain(`<tr><th scope="row">started</th><td>${at(7)}</td></tr>`);
    expect(html).not.toContain('undefined');
    expect(html).not.toContain('NaN');
  });
});

describe('the bar chart', () => {
  it('scales to round ticks, so one small bar is not a solid block', () => {
    expect(ticks(1)).toEqual([0, 1]);
    expect(ticks(3)).toEqual([0, 1, 2, 3]);
    expect(ticks(25)).toEqual([0, 10, 20, 30]);
    expect(ticks(0)).toEqual([0, 1]);
    const svg = barChart({
      id: 'c',
      title: 'T',
      xLabel: 'objects',
      yLabel: 'outcome',
      bars: [{ label: 'encrypted', value: 25 }],
    });
    // 25 of a 0..30 scale over 390 px of plot: a bar of 325 px, its value printed beside it.
    expect(svg).toContain('width="325.0"');
    expect(svg).toContain('>25</text>');
    expect(svg).toContain('>objects</text>');
    expect(svg).toContain('>outcome</text>');
    expect(svg).toContain('>30</text>');
  });
});
