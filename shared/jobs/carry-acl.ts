import { describeError } from '../errors.js';
import type { AclInspector, ExtraGrants } from '../s3/object-acl.js';

/** What became of an object's ACL grants across our rewrite: said per object in audit and summary. */
export interface AclOutcome {
  /** `acl-not-carried` (the default) or `acl-reapply-failed`: counted as warnings on the run. */
  warning?: 'acl-not-carried' | 'acl-reapply-failed';
  /** Audit detail: how many grants, and what happened to them. */
  acl?: string;
}

/**
 * A rewrite gives the object a fresh private ACL. With `keep` (`encrypt --keep-acl`) the grants the
 * old object had are put back on the version we wrote; otherwise the loss is recorded, never silent.
 */
export async function settleAcl(
  inspector: AclInspector | undefined,
  grants: ExtraGrants | undefined,
  keep: boolean,
  written: { bucket: string; key: string; versionId?: string; etag: string },
): Promise<AclOutcome> {
  if (!inspector || !grants) return {};
  if (!keep) return { warning: 'acl-not-carried', acl: `${grants.extra} grant(s) not carried` };
  try {
    // PutObjectAcl takes no condition: without a version id to pin, check first that the key still
    // holds our write, so the old grants never land on an object a user wrote meanwhile. (A write in
    // the instant between the check and the put remains possible; versioned buckets are exact.)
    if (!written.versionId && !(await inspector.stillCurrent(written.bucket, written.key, written.etag))) {
      return {
        warning: 'acl-reapply-failed',
        acl: `the object changed after our write: ${grants.extra} grant(s) not re-applied to it`,
      };
    }
    await inspector.reapply(written.bucket, written.key, written.versionId, grants);
    return { acl: `${grants.extra} grant(s) re-applied` };
  } catch (error) {
    return {
      warning: 'acl-reapply-failed',
      acl: `re-applying ${grants.extra} grant(s) failed: ${describeError(error)}`,
    };
  }
}
