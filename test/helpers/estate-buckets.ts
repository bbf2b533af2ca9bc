import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketInventoryConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mapBounded } from '../../shared/estate/bounded-map.js';
import type { EstatePlan } from '../../shared/estate/estate-plan.js';
import { buildInventory } from './inventory.js';

/**
 * ~50 buckets in known states for the estate commands (test/integration/estate.test.ts): the kinds,
 * how each is seeded, and the row each must show.
 */
export interface EstateKeys {
  /** The policy key. */
  keyA: string;
  /** Another key. */
  keyB: string;
}

/** What each kind of bucket holds; six buckets of each kind. */
export const KINDS = [
  'plain',
  'sse-s3',
  'kms-policy',
  'kms-other',
  'mixed',
  'default-kms',
  'versioned',
  'empty',
] as const;
export type Kind = (typeof KINDS)[number] | 'deny' | 'lock' | 'inventory' | 'inventory-reports' | 'far';
export const PER_KIND = 6;

export interface Expected {
  defaultEncryption: string;
  bucketKey: boolean;
  versioning: string;
  objectLock: string;
  keys?: string[];
  source: 'listing' | 'inventory';
  byState: Record<string, number>;
  toFix: number;
  plaintextVersions: number;
  lacks: string[];
  region: string;
}

/** The row `plan --all-buckets --mode sse-kms --key keyA` must show for a bucket of `kind`. */
export function expectedRow(kind: Kind, keyA: string): Expected {
  const row = (overrides: Partial<Expected>): Expected => ({
    defaultEncryption: 'AES256',
    bucketKey: false,
    versioning: 'off',
    objectLock: 'off',
    source: 'listing',
    byState: {},
    toFix: 0,
    plaintextVersions: 0,
    lacks: ['default-encryption', 'bucket-key', 'deny-policy'],
    region: 'us-east-1',
    ...overrides,
  });
  const kmsA = `aws:kms ${keyA}`;
  switch (kind) {
    case 'plain':
      return row({ defaultEncryption: 'none', byState: { unencrypted: 2 }, toFix: 2 });
    case 'sse-s3':
      return row({ byState: { 'sse-s3': 2 }, toFix: 2 });
    case 'kms-policy':
      return row({ byState: { 'sse-kms-policy-key': 2 } });
    case 'kms-other':
      return row({ byState: { 'sse-kms-other-key': 2 }, toFix: 2 });
    case 'mixed':
      return row({
        defaultEncryption: 'none',
        byState: { unencrypted: 1, 'sse-s3': 1, 'sse-kms-policy-key': 1 },
        toFix: 2,
      });
    case 'default-kms':
      return row({
        defaultEncryption: kmsA,
        bucketKey: true,
        byState: { 'sse-kms-policy-key': 2 },
        lacks: ['deny-policy'],
      });
    case 'versioned':
      return row({
        defaultEncryption: 'none',
        versioning: 'enabled',
        byState: { unencrypted: 1 },
        toFix: 1,
        plaintextVersions: 1,
      });
    case 'empty':
      return row({});
    case 'deny':
      return row({
        defaultEncryption: kmsA,
        bucketKey: true,
        keys: [keyA],
        byState: { 'sse-kms-policy-key': 1 },
        lacks: [],
      });
    case 'lock':
      return row({ versioning: 'enabled', objectLock: 'enabled', byState: { 'sse-s3': 1 }, toFix: 1 });
    case 'inventory':
      return row({ defaultEncryption: 'none', source: 'inventory', byState: { unencrypted: 3 }, toFix: 3 });
    case 'inventory-reports':
      // The report's own files (gzip CSV, manifest, checksum), written under the bucket default.
      return row({ byState: { 'sse-s3': 3 }, toFix: 3 });
    case 'far':
      return row({ defaultEncryption: 'none', byState: { unencrypted: 1 }, toFix: 1, region: 'eu-west-1' });
  }
}

async function seed(ctx: EstateKeys & { s3: S3Client }, name: string, kind: Kind): Promise<void> {
  const { s3, keyA, keyB } = ctx;
  const put = (input: Omit<PutObjectCommandInput, 'Bucket'>, client: S3Client = s3) =>
    client.send(new PutObjectCommand({ Bucket: name, ...input }));
  const noDefault = () => s3.send(new DeleteBucketEncryptionCommand({ Bucket: name }));
  const kmsDefault = () =>
    s3.send(
      new PutBucketEncryptionCommand({
        Bucket: name,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyA },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
  if (kind === 'far') {
    const far = new S3Client({ region: 'eu-west-1', forcePathStyle: true });
    await far.send(
      new CreateBucketCommand({
        Bucket: name,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await far.send(new DeleteBucketEncryptionCommand({ Bucket: name }));
    await put({ Key: 'far/a', Body: 'far' }, far);
    return;
  }
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      ...(kind === 'lock' ? { ObjectLockEnabledForBucket: true } : {}),
    }),
  );
  switch (kind) {
    case 'plain':
      await noDefault();
      await put({ Key: 'a', Body: 'a' });
      await put({ Key: 'b/c d', Body: 'bb' });
      await s3.send(
        new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: 'team', Value: 'blue' }] } }),
      );
      return;
    case 'sse-s3':
      await put({ Key: 'a', Body: 'a', ServerSideEncryption: 'AES256' });
      await put({ Key: 'b', Body: 'b', ServerSideEncryption: 'AES256' });
      return;
    case 'kms-policy':
    case 'kms-other': {
      const key = kind === 'kms-policy' ? keyA : keyB;
      await put({ Key: 'a', Body: 'a', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key });
      await put({ Key: 'b', Body: 'b', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key });
      // Two buckets the --all-buckets encryption below selects by tag.
      if (kind === 'kms-other' && /-[01]$/.test(name)) {
        await s3.send(
          new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: 'wave', Value: '1' }] } }),
        );
      }
      return;
    }
    case 'mixed':
      await noDefault();
      await put({ Key: 'plain', Body: 'p' });
      await put({ Key: 'sse-s3', Body: 's', ServerSideEncryption: 'AES256' });
      await put({ Key: 'kms', Body: 'k', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA });
      return;
    case 'default-kms':
      await kmsDefault();
      // Plain uploads: the bucket default puts them under the policy key.
      await put({ Key: 'a', Body: 'a' });
      await put({ Key: 'b', Body: 'b' });
      return;
    case 'versioned':
      await noDefault();
      await s3.send(
        new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
      );
      await put({ Key: 'a', Body: 'old' });
      await put({ Key: 'a', Body: 'new' });
      return;
    case 'empty':
      return;
    case 'deny':
      await kmsDefault();
      await put({ Key: 'a', Body: 'a' });
      // The AWS documentation's shape: the key-id test without IfExists, beside a user's own statement.
      await s3.send(
        new PutBucketPolicyCommand({
          Bucket: name,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'UsersOwn',
                Effect: 'Allow',
                Principal: { AWS: 'arn:aws:iam::000000000000:root' },
                Action: 's3:GetObject',
                Resource: `arn:aws:s3:::${name}/*`,
              },
              {
                Sid: 'RequireOurKey',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:PutObject',
                Resource: `arn:aws:s3:::${name}/*`,
                Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyA } },
              },
            ],
          }),
        }),
      );
      return;
    case 'lock':
      await put({ Key: 'locked', Body: 'l' });
      return;
    case 'inventory':
      await noDefault();
      for (const key of ['x', 'y', 'z']) await put({ Key: key, Body: key });
      return;
    case 'inventory-reports':
      return;
  }
}

/** The inventory bucket's configuration and one delivered report, in S3's documented layout. */
async function deliverInventory(s3: S3Client, source: string, destination: string): Promise<void> {
  await s3.send(
    new PutBucketInventoryConfigurationCommand({
      Bucket: source,
      Id: 'seal-config',
      InventoryConfiguration: {
        Id: 'seal-config',
        IsEnabled: true,
        IncludedObjectVersions: 'Current',
        Schedule: { Frequency: 'Daily' },
        Destination: {
          S3BucketDestination: { Bucket: `arn:aws:s3:::${destination}`, Format: 'CSV', Prefix: 'reports' },
        },
      },
    }),
  );
  const { objects } = buildInventory({
    sourceBucket: source,
    destinationBucket: destination,
    prefix: 'reports',
    format: 'CSV',
    entries: ['x', 'y', 'z'].map((key, i) => ({
      key,
      size: 1,
      etag: `e${i}`,
      encryptionStatus: 'NOT-SSE' as const,
    })),
  });
  for (const [key, body] of objects) {
    await s3.send(new PutObjectCommand({ Bucket: destination, Key: key, Body: body }));
  }
}

/** A row of the JSON plan reduced to what the seeding fixed. */
export function observed(row: EstatePlan['buckets'][number]) {
  if (!row.plan || !row.controls) return { error: row.error };
  const d = row.controls.defaultEncryption;
  return {
    defaultEncryption: d
      ? `${d.algorithm}${d.algorithm === 'AES256' ? '' : ` ${row.defaultKeyArn ?? d.kmsKeyId}`}`
      : 'none',
    bucketKey: d?.bucketKeyEnabled ?? false,
    versioning: row.controls.versioning,
    objectLock: row.controls.objectLock,
    ...(row.controls.uploadPolicy.keys ? { keys: row.controls.uploadPolicy.keys } : {}),
    source: row.plan.source,
    byState: Object.fromEntries(Object.entries(row.plan.byState).map(([state, a]) => [state, a.count])),
    toFix: row.toFix,
    plaintextVersions: row.plan.plaintextVersions.count,
    lacks: row.lacks,
    region: row.region,
  };
}

/** Seeds every bucket under `prefix` (eight at a time); returns name -> kind. */
export async function seedEstate(s3: S3Client, prefix: string, keys: EstateKeys): Promise<Map<string, Kind>> {
  const buckets = new Map<string, Kind>();
  for (const kind of KINDS) for (let i = 0; i < PER_KIND; i++) buckets.set(`${prefix}${kind}-${i}`, kind);
  for (const kind of ['deny', 'lock', 'inventory', 'inventory-reports', 'far'] as const)
    buckets.set(`${prefix}${kind}`, kind);
  await mapBounded([...buckets], 8, ([name, kind]) => seed({ s3, ...keys }, name, kind));
  await deliverInventory(s3, `${prefix}inventory`, `${prefix}inventory-reports`);
  return buckets;
}

/** Deletes the buckets with every object version in them, so the shared stack does not fill up. */
export async function deleteBuckets(s3: S3Client, names: string[]): Promise<void> {
  await mapBounded(names, 8, async (bucket) => {
    const client = bucket.endsWith('far') ? new S3Client({ region: 'eu-west-1', forcePathStyle: true }) : s3;
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    for (const v of [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])]) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key, VersionId: v.VersionId }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
}
