import { describe, expect, it } from 'vitest';
import { isOwnWrite } from '../../../../shared/events/own-writes.js';
import type { ObjectCreated } from '../../../../shared/events/s3-event.js';
import type { LedgerItem } from '../../../../shared/ledger/ledger.js';

const item = (fields: Partial<LedgerItem>) =>
  ({
    bucket: 'b',
    key: 'k',
    operation: 'encrypt',
    state: 'DONE',
    resultEtag: '"abc"',
    ...fields,
  }) as LedgerItem;
const event = (fields: Partial<ObjectCreated>): ObjectCreated => ({
  bucket: 'b',
  key: 'k',
  eventName: 'ObjectCreated:Put',
  eTag: 'abc',
  ...fields,
});

describe('recognising the echo of our own write', () => {
  it('takes an envelope write’s ETag as proof (quotes aside)', () => {
    expect(isOwnWrite(item({ method: 'envelope' }), event({}))).toBe(true);
    expect(isOwnWrite(item({ method: 'upgrade-format' }), event({}))).toBe(true);
    expect(isOwnWrite(item({ method: 'envelope' }), event({ eTag: 'other' }))).toBe(false);
  });

  it('never takes a server-side write’s ETag as proof: a plaintext upload of the same bytes can share it', () => {
    for (const method of ['copy-in-place', 'update-encryption', 'sse-c-migration'] as const) {
      expect(isOwnWrite(item({ method }), event({})), method).toBe(false);
    }
  });

  it('takes a version id as proof for any write, and a different one as a user’s write', () => {
    const ours = item({ method: 'copy-in-place', resultVersionId: 'v2' });
    expect(isOwnWrite(ours, event({ versionId: 'v2' }))).toBe(true);
    expect(isOwnWrite(ours, event({ versionId: 'v3' }))).toBe(false);
    expect(isOwnWrite(item({ method: 'envelope', resultVersionId: 'v2' }), event({ versionId: 'v3' }))).toBe(
      false,
    );
  });

  it('decides normally when the ledger has no finished write', () => {
    expect(isOwnWrite(undefined, event({}))).toBe(false);
    expect(isOwnWrite(item({ method: 'envelope', state: 'IN_PROGRESS' }), event({}))).toBe(false);
    expect(isOwnWrite(item({ method: 'envelope', state: 'COMPLIANT' }), event({}))).toBe(false);
  });
});
