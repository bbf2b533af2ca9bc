import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { headObject } from '../../shared/s3/object-head.js';
import { buildInventory, type InventoryEntry } from './inventory.js';

const STATUS_OF: Record<string, InventoryEntry['encryptionStatus']> = {
  AES256: 'SSE-S3',
  'aws:kms': 'SSE-KMS',
  'aws:kms:dsse': 'DSSE-KMS',
};

/**
 * Writes an S3 Inventory report of `keys` as they are now (one HEAD each) where S3 would deliver
 * it, in `reportBucket`: what S3 Inventory shows, so a client-side envelope is NOT-SSE (its
 * metadata is not in a report). `extra` rows are added as given (an SSE-C object, which a HEAD
 * without its key cannot see). With `tamper`, one byte is appended to the second data file (`part-1`) after
 * its MD5 went into the manifest. Returns the manifest's URI and the ETags (as HEAD shows them).
 */
export async function writeReportOfBucket(
  s3: S3Client,
  options: {
    bucket: string;
    reportBucket: string;
    keys: string[];
    format: 'CSV' | 'Parquet';
    rowsPerFile?: number;
    extra?: InventoryEntry[];
    tamper?: boolean;
    /** Breaks data files while keeping their MD5 right (see `breakCsv`). */
    rewriteFile?: (bytes: Uint8Array, index: number) => Uint8Array;
  },
): Promise<{ manifest: string; etags: Map<string, string> }> {
  const entries: InventoryEntry[] = [];
  const etags = new Map<string, string>();
  for (const key of options.keys) {
    const head = (await headObject(s3, options.bucket, key))!;
    etags.set(key, head.etag);
    entries.push({
      key,
      size: head.size,
      etag: head.etag.replaceAll('"', ''),
      encryptionStatus: (head.serverSideEncryption && STATUS_OF[head.serverSideEncryption]) || 'NOT-SSE',
    });
  }
  for (const entry of options.extra ?? []) {
    entries.push(entry);
    etags.set(entry.key, `"${entry.etag}"`);
  }
  const { objects, manifestKey } = buildInventory({
    sourceBucket: options.bucket,
    destinationBucket: options.reportBucket,
    prefix: `${options.format}-${Date.now()}`,
    format: options.format,
    entries,
    rowsPerFile: options.rowsPerFile,
    rewriteFile: options.rewriteFile,
  });
  for (const [key, bytes] of objects) {
    const body =
      options.tamper && key.includes('/data/part-1')
        ? Buffer.concat([Buffer.from(bytes), Buffer.from('x')])
        : bytes;
    await s3.send(new PutObjectCommand({ Bucket: options.reportBucket, Key: key, Body: body }));
  }
  return { manifest: `s3://${options.reportBucket}/${manifestKey}`, etags };
}
