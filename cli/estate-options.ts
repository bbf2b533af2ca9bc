import type { Command } from 'commander';
import { ConfigError } from '../shared/errors.js';
import { type BucketFilter, parseTagFilter } from '../shared/estate/bucket-filter.js';
import { integerIn } from './option-parsers.js';

/** The options of every estate command (`plan`, `verify`, `encrypt` with `--all-buckets`). */
export interface EstateOptions {
  allBuckets?: boolean;
  bucketPrefix?: string;
  bucketPattern?: string;
  bucketRegion?: string;
  bucketTag?: string[];
  /** Commander's default applies on the command line; callers in code may leave it out. */
  bucketConcurrency?: number;
}

/** Buckets worked on at once unless --bucket-concurrency says otherwise. */
export const DEFAULT_BUCKET_CONCURRENCY = 8;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds `--all-buckets` and its filters to a command (docs/estate.md, "Choosing buckets"). */
export function addEstateOptions(command: Command): Command {
  return command
    .option(
      '--all-buckets',
      'every bucket the credentials can list (ListBuckets), narrowed by the --bucket-* filters',
    )
    .option('--bucket-prefix <prefix>', 'with --all-buckets: only buckets whose name starts with this')
    .option(
      '--bucket-pattern <glob>',
      'with --all-buckets: only buckets whose name matches (* any characters, ? one)',
    )
    .option('--bucket-region <region>', 'with --all-buckets: only buckets in this region')
    .option(
      '--bucket-tag <key=value>',
      'with --all-buckets: only buckets with this tag (KEY alone: any value); repeat for several, all must match',
      collect,
    )
    .option(
      '--bucket-concurrency <n>',
      'with --all-buckets: buckets worked on at once',
      integerIn(1, 64),
      DEFAULT_BUCKET_CONCURRENCY,
    );
}

/**
 * The bucket filter, or undefined without `--all-buckets`; a filter given without `--all-buckets`
 * is refused rather than ignored.
 */
export function estateFilter(options: EstateOptions): BucketFilter | undefined {
  const given = [
    ['--bucket-prefix', options.bucketPrefix],
    ['--bucket-pattern', options.bucketPattern],
    ['--bucket-region', options.bucketRegion],
    ['--bucket-tag', options.bucketTag],
  ].filter(([, value]) => value !== undefined);
  if (!options.allBuckets) {
    if (given.length > 0) throw new ConfigError(`${given[0]![0]} is used only with --all-buckets`);
    return undefined;
  }
  return {
    prefix: options.bucketPrefix,
    pattern: options.bucketPattern,
    region: options.bucketRegion,
    tags: (options.bucketTag ?? []).map(parseTagFilter),
  };
}
