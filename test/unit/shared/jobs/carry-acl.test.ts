import { describe, expect, it } from 'vitest';
import { settleAcl } from '../../../../shared/jobs/carry-acl.js';
import type { AclInspector, ExtraGrants } from '../../../../shared/s3/object-acl.js';

const grants: ExtraGrants = { grants: [{ Permission: 'READ' }], extra: 1 };

function inspector(current: boolean) {
  const reapplied: unknown[] = [];
  const fake = {
    stillCurrent: async () => current,
    reapply: async (...args: unknown[]) => void reapplied.push(args),
  } as unknown as AclInspector;
  return { fake, reapplied };
}

describe('what becomes of ACL grants across our rewrite', () => {
  it('says they were not carried unless --keep-acl asked for them', async () => {
    const { fake, reapplied } = inspector(true);
    const outcome = await settleAcl(fake, grants, false, { bucket: 'b', key: 'k', etag: '"e"' });
    expect(outcome).toEqual({ warning: 'acl-not-carried', acl: '1 grant(s) not carried' });
    expect(reapplied).toEqual([]);
  });

  it('re-applies them to the version written, without a check: the version id is exact', async () => {
    const { fake, reapplied } = inspector(false);
    const outcome = await settleAcl(fake, grants, true, {
      bucket: 'b',
      key: 'k',
      versionId: 'v2',
      etag: '"e"',
    });
    expect(outcome).toEqual({ acl: '1 grant(s) re-applied' });
    expect(reapplied).toEqual([['b', 'k', 'v2', grants]]);
  });

  it('never puts the old grants on an object a user wrote after us (unversioned bucket)', async () => {
    const { fake, reapplied } = inspector(false);
    const outcome = await settleAcl(fake, grants, true, { bucket: 'b', key: 'k', etag: '"e"' });
    expect(outcome.warning).toBe('acl-reapply-failed');
    expect(reapplied).toEqual([]);
  });

  it('has nothing to say about an object without extra grants, or without an inspector', async () => {
    expect(
      await settleAcl(inspector(true).fake, undefined, true, { bucket: 'b', key: 'k', etag: '"e"' }),
    ).toEqual({});
    expect(await settleAcl(undefined, grants, true, { bucket: 'b', key: 'k', etag: '"e"' })).toEqual({});
  });
});
