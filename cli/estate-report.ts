import type { BucketControls } from '../shared/estate/bucket-controls.js';
import { describeFilter } from '../shared/estate/bucket-filter.js';
import type { EstateBucketPlan, EstatePlan } from '../shared/estate/estate-plan.js';
import { describeEnforcement, shortKey } from '../shared/estate/upload-enforcement.js';
import { humanBytes } from '../shared/format-bytes.js';
import { PRICES_AS_OF } from '../shared/plan/prices.js';
import { duration, table } from './plan-report.js';

const count = (n: number) => n.toLocaleString('en-US');

/** Default encryption as a cell: `none`, `AES256`, `aws:kms policy key`, `aws:kms KEY`. */
export function defaultEncryptionCell(
  controls: BucketControls,
  defaultKeyArn: string | undefined,
  policyKey?: string,
): string {
  if (controls.unreadable.defaultEncryption) return 'unreadable';
  const d = controls.defaultEncryption;
  if (!d) return 'none';
  if (d.algorithm === 'AES256') return 'AES256';
  const key = defaultKeyArn ?? d.kmsKeyId;
  if (!key) return `${d.algorithm} aws/s3`;
  return `${d.algorithm} ${policyKey && key === policyKey ? 'policy key' : shortKey(key)}`;
}

/** The controls as the table's cells, in its column order. */
export function controlCells(
  b: { controls?: BucketControls; defaultKeyArn?: string },
  policyKey?: string,
): string[] {
  const c = b.controls;
  if (!c) return ['-', '-', '-', '-', '-'];
  return [
    defaultEncryptionCell(c, b.defaultKeyArn, policyKey),
    c.unreadable.defaultEncryption ? '?' : c.defaultEncryption?.bucketKeyEnabled ? 'on' : 'off',
    c.unreadable.versioning ? '?' : c.versioning,
    c.unreadable.objectLock ? '?' : c.objectLock,
    c.unreadable.bucketPolicy ? 'unreadable' : describeEnforcement(c.uploadPolicy, policyKey),
  ];
}

const STATE_NAMES: Record<string, string> = {
  unencrypted: 'plain',
  'sse-s3': 'sse-s3',
  'sse-kms-policy-key': 'kms:policy',
  'sse-kms-other-key': 'kms:other',
  'sse-kms-key-unknown': 'kms:?',
};

/** Objects by state as one cell: `plain 3, sse-s3 1`, largest first. */
export function statesCell(byState: Record<string, { count: number }>, policyKey?: string): string {
  // Without a policy key (sse-s3), "another key" than none means any key.
  const name = (state: string) =>
    !policyKey && state === 'sse-kms-other-key' ? 'sse-kms' : (STATE_NAMES[state] ?? state);
  return Object.entries(byState)
    .sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b))
    .map(([state, a]) => `${name(state)} ${count(a.count)}`)
    .join(', ');
}

function row(b: EstateBucketPlan, policyKey?: string): string[] {
  if (!b.plan)
    return [
      b.bucket,
      b.region ?? '?',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      `ERROR: ${b.error}`,
    ];
  const p = b.plan;
  return [
    b.bucket,
    b.region ?? '?',
    ...controlCells(b, policyKey),
    b.sample ? `sample ${count(b.sample.headed)}` : p.source,
    count(p.objects.count),
    count(b.toFix ?? 0),
    statesCell(p.byState, policyKey),
    `$${p.cost.total.toFixed(4)}`,
    duration(p.projection.seconds),
    [b.lacks && b.lacks.length > 0 ? `lacks ${b.lacks.join(', ')}` : '', ...b.notes]
      .filter(Boolean)
      .join('; '),
  ];
}

/** The estate plan as one table, a bucket a row, and the totals; `--json` prints the same data. */
export function formatEstatePlan(plan: EstatePlan): string[] {
  const t = plan.totals;
  const header = [
    'bucket',
    'region',
    'default encryption',
    'bucket key',
    'versioning',
    'object lock',
    'deny policy',
    'source',
    'objects',
    'to fix',
    'states',
    'cost',
    'time',
    'lacks / notes',
  ];
  const lines = [
    `estate plan: ${plan.mode}${plan.keyArn ? ` under ${plan.keyArn}` : ''}; ${describeFilter(plan.filter)}; nothing was written`,
    ...table(
      `${count(t.buckets)} buckets`,
      header,
      plan.buckets.map((b) => row(b, plan.keyArn)),
      [0, 1, 2, 3, 4, 5, 6, 7, 10, 13],
    ),
    '',
    `Totals: ${count(t.objects)} objects (${humanBytes(t.bytes)}), ${count(t.toFix)} to fix; ${t.lackingControls} buckets lack write-time controls; ${t.unreadable} buckets unreadable`,
    `  modelled cost $${t.costUsd.toFixed(4)} (list prices us-east-1, as of ${PRICES_AS_OF}); ${duration(t.seconds)} with the runs one after another (per-bucket detail: s3-seal plan s3://BUCKET)`,
  ];
  if (plan.buckets.length === 0) lines.push('', 'No bucket matched: check the --bucket-* filters.');
  return lines;
}
