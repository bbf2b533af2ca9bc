import {
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  type Grant,
  HeadObjectCommand,
  type Owner,
  PutObjectAclCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorName } from '../aws-errors.js';

/** An object's ACL beyond its owner's own FULL_CONTROL: what a rewrite would drop. */
export interface ExtraGrants {
  owner?: Owner;
  /** Every grant, the owner's included, as PutObjectAcl takes them back. */
  grants: Grant[];
  /** How many grants go beyond the owner's FULL_CONTROL. */
  extra: number;
}

/**
 * S3 gives a rewritten object (PUT or copy) a fresh private ACL: grants on the old object are not
 * carried (S3 User Guide, "Access control list (ACL) overview"). Where the bucket enforces owner
 * ownership (the default for new buckets since April 2023) ACLs are disabled and there is nothing
 * to lose, so the per-object read is skipped; the answer is cached per bucket for the process.
 */
export class AclInspector {
  private readonly aclsEnabled = new Map<string, Promise<boolean>>();

  constructor(private readonly s3: S3Client) {}

  /** The object's extra grants, or undefined when it has none (or the bucket disables ACLs). */
  async extraGrants(bucket: string, key: string, versionId?: string): Promise<ExtraGrants | undefined> {
    if (!(await this.bucketUsesAcls(bucket))) return undefined;
    const acl = await this.s3.send(
      new GetObjectAclCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
    );
    const grants = acl.Grants ?? [];
    const ownerId = acl.Owner?.ID;
    const extra = grants.filter(
      (grant) => !(grant.Permission === 'FULL_CONTROL' && grant.Grantee?.ID && grant.Grantee.ID === ownerId),
    ).length;
    return extra > 0 ? { owner: acl.Owner, grants, extra } : undefined;
  }

  /**
   * Whether rewriting an object of `bucket` means reading its ACL first (the bucket does not enforce
   * owner ownership). Cached per bucket, as {@link extraGrants} asks it.
   */
  usesAcls(bucket: string): Promise<boolean> {
    return this.bucketUsesAcls(bucket);
  }

  /** Whether the key still holds the object with this ETag (nobody wrote it since). */
  async stillCurrent(bucket: string, key: string, etag: string): Promise<boolean> {
    const out = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return out.ETag === etag;
  }

  /** Puts the grants back on the object this run wrote (its version, where the bucket has them). */
  async reapply(bucket: string, key: string, versionId: string | undefined, acl: ExtraGrants): Promise<void> {
    await this.s3.send(
      new PutObjectAclCommand({
        Bucket: bucket,
        Key: key,
        VersionId: versionId,
        AccessControlPolicy: { Owner: acl.owner, Grants: acl.grants },
      }),
    );
  }

  private bucketUsesAcls(bucket: string): Promise<boolean> {
    let answer = this.aclsEnabled.get(bucket);
    if (!answer) {
      answer = this.s3
        .send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }))
        .then(
          (out) =>
            !(out.OwnershipControls?.Rules ?? []).some((r) => r.ObjectOwnership === 'BucketOwnerEnforced'),
        )
        .catch((error) => {
          // No ownership controls at all: a bucket from before 2023, ACLs in force.
          if (errorName(error) === 'OwnershipControlsNotFoundError') return true;
          throw error;
        });
      answer.catch(() => this.aclsEnabled.delete(bucket));
      this.aclsEnabled.set(bucket, answer);
    }
    return answer;
  }
}
