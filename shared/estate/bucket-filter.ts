import { ConfigError } from '../errors.js';

/**
 * Which buckets an estate command covers (docs/estate.md, "Choosing buckets"). Every filter given
 * must hold: name filters are checked on the ListBuckets answer alone, region and tags need one
 * request per bucket that passed the name filters.
 */
export interface BucketFilter {
  /** Bucket names starting with this. */
  prefix?: string;
  /** Glob on the whole name: `*` any run of characters, `?` one character. */
  pattern?: string;
  /** Only buckets in this region. */
  region?: string;
  /** Every pair must be a tag of the bucket; a pair without a value asks only for the key. */
  tags: Array<{ key: string; value?: string }>;
}

/** Parses one `--bucket-tag KEY=VALUE` (or `--bucket-tag KEY`: any value). */
export function parseTagFilter(text: string): { key: string; value?: string } {
  const at = text.indexOf('=');
  const key = at < 0 ? text : text.slice(0, at);
  if (key === '') throw new ConfigError(`--bucket-tag takes KEY=VALUE (or KEY): ${JSON.stringify(text)}`);
  return at < 0 ? { key } : { key, value: text.slice(at + 1) };
}

/** The glob as an anchored regular expression; every other character matches itself. */
export function globToRegExp(glob: string): RegExp {
  const source = [...glob]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** True when the name passes the prefix and pattern filters. */
export function nameMatches(filter: BucketFilter, name: string): boolean {
  if (filter.prefix !== undefined && !name.startsWith(filter.prefix)) return false;
  if (filter.pattern !== undefined && !globToRegExp(filter.pattern).test(name)) return false;
  return true;
}

/** True when the bucket's tags carry every pair of the filter. */
export function tagsMatch(filter: BucketFilter, tags: Record<string, string>): boolean {
  return filter.tags.every((t) => t.key in tags && (t.value === undefined || tags[t.key] === t.value));
}

/** The filter as one line for a report header (`prefix "a", region eu-west-1, tag team=x`). */
export function describeFilter(filter: BucketFilter): string {
  const parts = [
    ...(filter.prefix !== undefined ? [`name prefix ${JSON.stringify(filter.prefix)}`] : []),
    ...(filter.pattern !== undefined ? [`name pattern ${JSON.stringify(filter.pattern)}`] : []),
    ...(filter.region !== undefined ? [`region ${filter.region}`] : []),
    ...filter.tags.map((t) => `tag ${t.key}${t.value === undefined ? '' : `=${t.value}`}`),
  ];
  return parts.length > 0 ? parts.join(', ') : 'every bucket';
}
