import { ListBucketInventoryConfigurationsCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjectPages } from '../s3/list-objects.js';

/** A delivery folder's name: the report's time, `YYYY-MM-DDTHH-MMZ/` (S3 User Guide, "Locating your inventory list"). */
const DELIVERY = /(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)\/$/;

/** The newest delivered report of one of the bucket's enabled inventory configurations. */
export interface FoundInventory {
  configurationId: string;
  /** `s3://DEST/PREFIX/SOURCE/CONFIG/TIMESTAMP/manifest.json`. */
  manifest: string;
  /** The delivery time, as S3 names the folder. */
  deliveredAt: string;
}

/**
 * Finds the latest manifest of the bucket's S3 Inventory, when one is configured and has delivered:
 * ListBucketInventoryConfigurations, then one delimited listing of each enabled configuration's
 * destination folder. Only current-version, daily or weekly, CSV/Parquet reports qualify the same
 * as `plan --inventory`; the caller falls back to listing when this finds nothing.
 */
export async function findLatestInventory(s3: S3Client, bucket: string): Promise<FoundInventory | undefined> {
  let best: FoundInventory | undefined;
  let token: string | undefined;
  do {
    const out = await s3.send(
      new ListBucketInventoryConfigurationsCommand({ Bucket: bucket, ContinuationToken: token }),
    );
    for (const configuration of out.InventoryConfigurationList ?? []) {
      const destination = configuration.Destination?.S3BucketDestination;
      if (!configuration.IsEnabled || !destination?.Bucket || !configuration.Id) continue;
      if (destination.Format !== 'CSV' && destination.Format !== 'Parquet') continue;
      const destinationBucket = destination.Bucket.replace(/^arn:aws[\w-]*:s3:::/, '');
      const base = `${destination.Prefix ? `${destination.Prefix.replace(/\/$/, '')}/` : ''}${bucket}/${configuration.Id}/`;
      const found = await latestDelivery(s3, destinationBucket, base);
      if (found && (!best || found.deliveredAt > best.deliveredAt)) {
        best = { configurationId: configuration.Id, ...found };
      }
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return best;
}

async function latestDelivery(
  s3: S3Client,
  destinationBucket: string,
  base: string,
): Promise<Omit<FoundInventory, 'configurationId'> | undefined> {
  let latest: string | undefined;
  for await (const page of listObjectPages(s3, { bucket: destinationBucket, prefix: base, delimiter: '/' })) {
    for (const folder of page.commonPrefixes) {
      const time = DELIVERY.exec(folder)?.[1];
      if (time && (!latest || time > latest)) latest = time;
    }
  }
  return latest
    ? { manifest: `s3://${destinationBucket}/${base}${latest}/manifest.json`, deliveredAt: latest }
    : undefined;
}
