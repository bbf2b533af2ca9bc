import type { S3Client } from '@aws-sdk/client-s3';
import { listObjectsPage } from './list-objects.js';
import { headObject, type ObjectHead } from './object-head.js';

/**
 * What a HEAD of a just-listed key found: the object; a key that is still listed but that HEAD
 * cannot find (a key this path does not reach exactly, a problem to report); or an object that
 * is no longer listed either (deleted since the listing).
 */
export type ListedHead =
  | { state: 'found'; head: ObjectHead }
  | { state: 'listed-not-found' }
  | { state: 'gone' };

/**
 * HEADs an object that a listing just named, without taking a 404 at its word. S3 is strongly
 * consistent for HEAD and LIST after writes and deletes (S3 User Guide, "Amazon S3 data
 * consistency model"), so a listed key that HEAD cannot find was either deleted in between or
 * is a key that changed on its way to the request. Both are asked again, so a caller can tell
 * them apart and never count either as compliant.
 */
export async function headListedObject(
  s3: S3Client,
  bucket: string,
  key: string,
  options: Parameters<typeof headObject>[3] = {},
): Promise<ListedHead> {
  const head = (await headObject(s3, bucket, key, options)) ?? (await headObject(s3, bucket, key, options));
  if (head) return { state: 'found', head };
  return (await isListed(s3, bucket, key)) ? { state: 'listed-not-found' } : { state: 'gone' };
}

/** Whether a listing still shows exactly this key: it sorts first among keys it prefixes. */
async function isListed(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const page = await listObjectsPage(s3, { bucket, prefix: key, maxKeys: 1 });
  return page.objects[0]?.key === key;
}
