import type { RewrapPreview } from '../shared/rewrap/preview-rewrap.js';
import { alignRows } from './columns.js';

/**
 * The lines of a re-wrap preview: what moves, from which key to which, then one line per bucket
 * with its object count (plan-style: nothing was recorded or queued).
 */
export function previewLines(
  preview: RewrapPreview,
  move: { fromKeyArn: string; toKeyArn: string; wrappedBefore?: string },
): string[] {
  const what =
    move.fromKeyArn === move.toKeyArn
      ? `under ${move.fromKeyArn} (fresh key material)`
      : `from ${move.fromKeyArn} to ${move.toKeyArn}`;
  const before = move.wrappedBefore ? `, wrapped before ${move.wrappedBefore}` : '';
  if (preview.total === 0) return [`nothing to re-wrap ${what}${before}`];
  return [
    `re-wrap ${preview.total} object(s) in ${preview.buckets.length} bucket(s) ${what}${before}:`,
    ...alignRows(preview.buckets.map(({ bucket, objects }) => ({ label: `s3://${bucket}`, value: objects }))),
  ];
}
