import type { Ledger, LedgerItem } from '../ledger/ledger.js';
import type { ObjectCreated } from './s3-event.js';

const unquoted = (etag: string) => etag.replace(/^"|"$/g, '');

/**
 * Whether an ObjectCreated event is the echo of s3-seal's own last write, which needs no decision
 * (docs/architecture.md, "Live enforcement"): one ledger read instead of a HEAD, a decision write
 * and an audit transaction, and no watch decision taking over a backfill's ledger item.
 *
 * Only proof counts. A version id names one write exactly. Without one, an ETag is proof only for
 * an envelope write: its ETag covers ciphertext under a fresh data key, so an equal ETag means the
 * very same envelope bytes. Server-side writes are not recognised by ETag: an SSE-S3 copy (and
 * some endpoints' SSE-KMS copies) has the MD5 of the plaintext as its ETag, which a user's upload
 * of the same bytes, unencrypted, would share.
 */
export function isOwnWrite(item: LedgerItem | undefined, event: ObjectCreated): boolean {
  if (item?.state !== 'DONE' || !item.resultEtag) return false;
  if (event.versionId && item.resultVersionId) return event.versionId === item.resultVersionId;
  if (event.versionId || item.resultVersionId) return false;
  const envelopeWrite = item.method === 'envelope' || item.method === 'upgrade-format';
  return envelopeWrite && event.eTag !== undefined && unquoted(event.eTag) === unquoted(item.resultEtag);
}

/** Reads the object's ledger item and tells whether the event echoes our own write. */
export async function eventOfOwnWrite(ledger: Ledger, event: ObjectCreated): Promise<boolean> {
  if (!event.eTag && !event.versionId) return false;
  return isOwnWrite(await ledger.get({ bucket: event.bucket, key: event.key, operation: 'encrypt' }), event);
}
