import { describeFilter } from '../shared/estate/bucket-filter.js';
import type { BucketVerdict, EstateVerdict } from '../shared/estate/estate-verify.js';
import { displayS3Uri } from '../shared/s3-uri.js';
import { controlCells } from './estate-report.js';
import { table } from './plan-report.js';

const count = (n: number) => n.toLocaleString('en-US');

function row(b: BucketVerdict, policyKey?: string): string[] {
  if (b.error)
    return [b.bucket, b.region ?? '?', '-', '-', '-', '-', '-', '-', '-', '-', '-', `ERROR: ${b.error}`];
  const notes = [
    b.lacks && b.lacks.length > 0 ? `lacks ${b.lacks.join(', ')}` : '',
    b.gone > 0 ? `${b.gone} deleted while verify ran` : '',
    b.checked === 0 ? 'empty' : '',
  ];
  return [
    b.bucket,
    b.region ?? '?',
    ...controlCells(b, policyKey),
    count(b.checked),
    count(b.notCompliant),
    count(b.plaintextVersions),
    b.passed ? 'PASS' : 'FAIL',
    notes.filter(Boolean).join('; '),
  ];
}

/** `verify --all-buckets` as one table, then the first problems of each failing bucket. */
export function formatEstateVerify(verdict: EstateVerdict): string[] {
  const r = verdict.requirement;
  const required = r.mode
    ? `${r.mode}${r.key ? ` under ${r.key}` : ''}${r.s3ecFormat ? ` (S3EC ${r.s3ecFormat})` : ''}`
    : r.key
      ? `protection under ${r.key}`
      : 'any protection';
  const header = [
    'bucket',
    'region',
    'default encryption',
    'bucket key',
    'versioning',
    'object lock',
    'deny policy',
    'objects',
    'not compliant',
    'plaintext versions',
    'verdict',
    'notes',
  ];
  const lines = [
    `estate verify: ${required}; ${describeFilter(verdict.filter)}`,
    ...table(
      `${count(verdict.totals.buckets)} buckets`,
      header,
      verdict.buckets.map((b) => row(b, r.mode === 'sse-kms' ? r.key : undefined)),
      [0, 1, 2, 3, 4, 5, 6, 10, 11],
    ),
  ];
  for (const b of verdict.buckets) {
    for (const p of b.problems)
      lines.push(`NOT COMPLIANT  ${displayS3Uri({ bucket: b.bucket, key: p.key })}  ${p.problem}`);
    if (b.notCompliant > b.problems.length) {
      lines.push(
        `  ... and ${b.notCompliant - b.problems.length} more in s3://${b.bucket} (s3-seal verify s3://${b.bucket})`,
      );
    }
  }
  const t = verdict.totals;
  lines.push(
    '',
    `${t.passed} of ${t.buckets} buckets pass; ${count(t.checked)} objects checked, ${count(t.notCompliant)} not compliant; ${t.unreadable} buckets could not be verified`,
  );
  if (t.buckets === 0) lines.push('No bucket matched: check the --bucket-* filters; nothing was checked.');
  return lines;
}
