import {
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  ListBucketsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorName } from '../aws-errors.js';
import { mapBounded } from './bounded-map.js';
import { bucketErrorReason } from './bucket-error.js';
import { type BucketFilter, nameMatches, tagsMatch } from './bucket-filter.js';
import type { RegionalS3 } from './regional-s3.js';

/** A bucket the filter selected; `error` when its region or tags could not be read. */
export interface SelectedBucket {
  name: string;
  region?: string;
  error?: string;
}

/** Every bucket the credentials can list, with its region when S3 tells it (ListBuckets, paginated). */
export async function* listAllBuckets(s3: S3Client): AsyncGenerator<{ name: string; region?: string }> {
  let token: string | undefined;
  do {
    // MaxBuckets makes S3 paginate (and answer BucketRegion); without it one page holds every bucket.
    const out = await s3.send(new ListBucketsCommand({ MaxBuckets: 1000, ContinuationToken: token }));
    for (const bucket of out.Buckets ?? []) {
      if (bucket.Name) yield { name: bucket.Name, region: bucket.BucketRegion };
    }
    token = out.ContinuationToken || undefined;
  } while (token);
}

/** GetBucketLocation's answer as a region: empty means us-east-1, `EU` the old name of eu-west-1. */
export function regionOfLocation(location: string | undefined): string {
  if (!location) return 'us-east-1';
  return location === 'EU' ? 'eu-west-1' : location;
}

/**
 * The buckets an estate command covers, sorted by name: name filters on the listing, then (at
 * most `concurrency` buckets at a time) the region when ListBuckets did not give it, and the tags
 * when the filter asks for some. A bucket whose region or tags cannot be read stays in, with the
 * reason, so the report shows it rather than silently leaving it out.
 */
export async function selectBuckets(
  s3: S3Client,
  regional: RegionalS3,
  filter: BucketFilter,
  concurrency: number,
): Promise<SelectedBucket[]> {
  const named: Array<{ name: string; region?: string }> = [];
  for await (const bucket of listAllBuckets(s3)) if (nameMatches(filter, bucket.name)) named.push(bucket);
  named.sort((a, b) => a.name.localeCompare(b.name));
  const checked = await mapBounded(
    named,
    concurrency,
    async (bucket): Promise<SelectedBucket | undefined> => {
      let region = bucket.region;
      try {
        region ??= regionOfLocation(
          (await s3.send(new GetBucketLocationCommand({ Bucket: bucket.name }))).LocationConstraint,
        );
      } catch (error) {
        return { name: bucket.name, error: `region unreadable: ${bucketErrorReason(error)}` };
      }
      if (filter.region !== undefined && region !== filter.region) return undefined;
      if (filter.tags.length === 0) return { name: bucket.name, region };
      try {
        const tags = await readTags(await regional.for(region), bucket.name);
        return tagsMatch(filter, tags) ? { name: bucket.name, region } : undefined;
      } catch (error) {
        return { name: bucket.name, region, error: `tags unreadable: ${bucketErrorReason(error)}` };
      }
    },
  );
  return checked.filter((b): b is SelectedBucket => b !== undefined);
}

async function readTags(s3: S3Client, bucket: string): Promise<Record<string, string>> {
  try {
    const out = await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    if (errorName(error) === 'NoSuchTagSet') return {};
    throw error;
  }
}
