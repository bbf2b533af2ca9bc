import { DEFAULT_ENVELOPE_FORMAT } from '../shared/envelope/format.js';
import { humanBytes } from '../shared/format-bytes.js';
import { LAMBDA_MEMORY_GB } from '../shared/plan/chunk-model.js';
import type { Plan } from '../shared/plan/plan-run.js';
import type { Amount } from '../shared/plan/tally.js';
import { envelopeReadersNotice } from './envelope-readers.js';

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = seconds / 60;
  if (minutes < 120) return `${minutes.toFixed(1)} min`;
  const hours = minutes / 60;
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} days`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Rows of [label, ...cells] printed with every column aligned (numbers to the right). */
export function table(title: string, header: string[], rows: string[][], leftColumns = [0]): string[] {
  if (rows.length === 0) return [];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    `  ${row.map((cell, i) => (leftColumns.includes(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`.trimEnd();
  return ['', title, line(header), ...rows.map(line)];
}

function amounts(title: string, first: string, entries: Record<string, Amount>): string[] {
  const rows = Object.entries(entries)
    .sort(([, a], [, b]) => b.count - a.count)
    .map(([name, a]) => [name, count(a.count), humanBytes(a.bytes)]);
  return table(title, [first, 'objects', 'bytes'], rows);
}

/** The plan as aligned tables for a terminal; `--json` prints the same data for machines. */
export function formatPlan(plan: Plan): string[] {
  const source = plan.inventory
    ? `inventory ${plan.inventory.manifest} (${plan.inventory.format}, ${plan.inventory.files} data files, ${count(plan.inventory.rows)} rows)`
    : `listing${plan.versioned ? ' (versioned bucket: every version HEADed)' : ''}`;
  const lines = [
    `plan for s3://${plan.bucket}/${plan.prefix}: ${plan.mode}${plan.keyArn ? ` under ${plan.keyArn}` : ''}`,
    `  source: ${source}`,
    `  ${count(plan.objects.count)} current objects, ${humanBytes(plan.objects.bytes)}; nothing was written`,
    // Said before the tables: the run would change who can read the objects at all.
    ...(plan.mode === 'envelope' ? ['', ...envelopeReadersNotice(DEFAULT_ENVELOPE_FORMAT)] : []),
    ...amounts('Objects by state', 'state', plan.byState),
    ...amounts('By storage class', 'storage class', plan.byStorageClass),
    ...amounts('What the run would do', 'action', plan.byAction),
  ];
  // Part of the above: each KMS key other than the policy's, and what the run does with its objects.
  const otherKeys = Object.entries(plan.otherKmsKeys)
    .sort(([, a], [, b]) => b.count - a.count)
    .map(([keyArn, a]) => [
      keyArn,
      a.action === 'rekey' ? 're-keyed from it' : 'left under it (under-another-kms-key)',
      count(a.count),
      humanBytes(a.bytes),
    ]);
  lines.push(
    ...table(
      'Objects under other KMS keys',
      ['source key', 'the run', 'objects', 'bytes'],
      otherKeys,
      [0, 1],
    ),
  );
  // Part of the above: settled from the report alone, with no S3 request (docs/large-buckets.md).
  if (plan.settledFromInventory && Object.keys(plan.settledFromInventory).length > 0)
    lines.push(
      ...amounts('Settled from the inventory rows (no S3 request)', 'action', plan.settledFromInventory),
    );
  const versions = [
    ['delete markers', count(plan.deleteMarkers), ''],
    ['noncurrent versions', count(plan.noncurrentVersions.count), humanBytes(plan.noncurrentVersions.bytes)],
    [
      'plaintext versions left',
      count(plan.plaintextVersions.count),
      humanBytes(plan.plaintextVersions.bytes),
    ],
  ];
  if (plan.deleteMarkers + plan.noncurrentVersions.count > 0)
    lines.push(...table('Versions', ['', 'count', 'bytes'], versions));
  for (const sample of plan.samples) {
    const rows = Object.entries(sample.states).map(([state, n]) => [
      state,
      count(n),
      count(Math.round((n / Math.max(sample.sampled, 1)) * sample.rows)),
    ]);
    lines.push(
      ...table(
        `HEAD sample of ${sample.sampled} of ${count(sample.rows)} "${sample.rowState}" rows`,
        ['found', 'sampled', 'estimated'],
        rows,
      ),
    );
  }
  const ops = Object.entries(plan.requests.byOperation).map(([op, n]) => [op, count(n)]);
  ops.push(['DynamoDB write units', count(plan.requests.dynamoWriteUnits)]);
  ops.push(['DynamoDB read units', count(plan.requests.dynamoReadUnits)]);
  lines.push(
    ...table(
      `Requests the run would make (${count(plan.requests.queuedObjects)} objects queued)`,
      ['request', 'count'],
      ops,
    ),
  );
  const c = plan.cost;
  const costRows = [
    ['S3', c.s3],
    ['KMS', c.kms],
    ['SQS', c.sqs],
    ['DynamoDB', c.dynamodb],
    [`Lambda (${count(LAMBDA_MEMORY_GB * 1024)} MB arm64)`, c.lambda],
    ...(plan.inventory ? [['S3 Inventory report', c.inventoryReport] as const] : []),
    ['total', c.total],
    [
      `DynamoDB storage left behind (${humanBytes(c.storagePerMonth.bytes)} with PITR), per month`,
      c.storagePerMonth.total,
    ],
  ].map(([name, usd]) => [String(name), `$${Number(usd).toFixed(4)}`]);
  lines.push(
    ...table(`Modelled cost (list prices ${c.region}, as of ${c.pricesAsOf})`, ['service', 'USD'], costRows),
  );
  const p = plan.projection;
  const components = p.components.map((x) => [
    x.component,
    count(x.load),
    `${count(x.perSecond)}/s`,
    duration(x.seconds),
    x.basis,
  ]);
  lines.push(
    ...table(
      `Projected duration at ${p.lambdaConcurrency} concurrent functions: ${duration(p.seconds)}, limited by ${p.limitingComponent}`,
      ['component', 'load', 'capacity', 'time', 'basis'],
      components,
      [0, 4],
    ),
  );
  if (plan.notes.length > 0) lines.push('', 'Notes', ...plan.notes.map((note) => `  - ${note}`));
  return lines;
}
