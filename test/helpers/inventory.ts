import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** One object (or version) as an inventory report lists it. */
export interface InventoryEntry {
  key: string;
  versionId?: string;
  isLatest?: boolean;
  isDeleteMarker?: boolean;
  size: number;
  etag: string;
  storageClass?: string;
  encryptionStatus: 'NOT-SSE' | 'SSE-S3' | 'SSE-KMS' | 'DSSE-KMS' | 'SSE-C';
  bucketKeyStatus?: 'ENABLED' | 'DISABLED';
  lastModified?: Date;
}

export interface InventoryLayout {
  sourceBucket: string;
  destinationBucket: string;
  /** Destination prefix; the report lands under PREFIX/SOURCE/CONFIG/ as S3 writes it. */
  prefix: string;
  format: 'CSV' | 'Parquet';
  entries: InventoryEntry[];
  /** Rows per data file (one data file by default). */
  rowsPerFile?: number;
  /** Parquet rows per row group (hyparquet-writer's default when absent); small in tests. */
  rowGroupSize?: number;
  /**
   * Rewrites a data file's bytes before its size and MD5 go into the manifest: a report whose
   * checksums match but whose content is broken (see {@link breakCsv}).
   */
  rewriteFile?: (bytes: Uint8Array, index: number) => Uint8Array;
}

const CSV_SCHEMA =
  'Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm';

const PARQUET_SCHEMA =
  'message s3.inventory { required binary bucket (STRING); required binary key (STRING); optional binary version_id (STRING); optional boolean is_latest; optional boolean is_delete_marker; optional int64 size; optional int64 last_modified_date (TIMESTAMP(MILLIS,true)); optional binary e_tag (STRING); optional binary storage_class (STRING); optional binary encryption_status (STRING); optional binary bucket_key_status (STRING); }';

/** CSV reports URL-encode keys form-style (a space is `+`), every field quoted. */
export function csvEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+');
}

function csvFile(bucket: string, entries: InventoryEntry[]): Uint8Array {
  const quote = (v: string | undefined) => `"${(v ?? '').replace(/"/g, '""')}"`;
  const lines = entries.map((e) =>
    [
      bucket,
      csvEncodeKey(e.key),
      e.versionId,
      String(e.isLatest ?? true),
      String(e.isDeleteMarker ?? false),
      String(e.size),
      (e.lastModified ?? new Date('2026-11-01T00:00:00Z')).toISOString(),
      e.etag,
      e.storageClass ?? 'STANDARD',
      'false',
      '',
      e.encryptionStatus,
      '',
      '',
      '',
      '',
      e.bucketKeyStatus ?? 'DISABLED',
      '',
    ]
      .map(quote)
      .join(','),
  );
  return gzipSync(`${lines.join('\n')}\n`);
}

function parquetFile(bucket: string, entries: InventoryEntry[], rowGroupSize?: number): Uint8Array {
  const column = <T>(pick: (e: InventoryEntry) => T) => entries.map(pick);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'bucket', data: column(() => bucket), type: 'STRING' },
      { name: 'key', data: column((e) => e.key), type: 'STRING' },
      { name: 'version_id', data: column((e) => e.versionId ?? null), type: 'STRING' },
      { name: 'is_latest', data: column((e) => e.isLatest ?? true), type: 'BOOLEAN' },
      { name: 'is_delete_marker', data: column((e) => e.isDeleteMarker ?? false), type: 'BOOLEAN' },
      { name: 'size', data: column((e) => BigInt(e.size)), type: 'INT64' },
      {
        name: 'last_modified_date',
        data: column((e) => e.lastModified ?? new Date('2026-11-01T00:00:00Z')),
        type: 'TIMESTAMP',
      },
      { name: 'e_tag', data: column((e) => e.etag), type: 'STRING' },
      { name: 'storage_class', data: column((e) => e.storageClass ?? 'STANDARD'), type: 'STRING' },
      { name: 'encryption_status', data: column((e) => e.encryptionStatus), type: 'STRING' },
      { name: 'bucket_key_status', data: column((e) => e.bucketKeyStatus ?? 'DISABLED'), type: 'STRING' },
    ],
    rowGroupSize,
  });
  return new Uint8Array(buffer);
}

/** Rewrites the lines of a gzipped CSV data file (and gzips it again). */
function rewriteCsvLines(bytes: Uint8Array, rewrite: (line: string, index: number) => string): Uint8Array {
  const lines = gunzipSync(bytes).toString('utf8').split('\n').slice(0, -1);
  return gzipSync(`${lines.map(rewrite).join('\n')}\n`);
}

/**
 * Four ways a CSV data file can be broken while its MD5 still matches the manifest: not gzip at
 * all; one row (`row`, 0-based) naming another bucket; one row whose key is not valid URL
 * encoding; every row (or only `row`) one column short of the fileSchema.
 */
export const breakCsv = {
  notGzip: (bytes: Uint8Array) => new Uint8Array(gunzipSync(bytes)),
  otherBucket: (row: number, bucket: string) => (bytes: Uint8Array) =>
    rewriteCsvLines(bytes, (line, i) => (i === row ? line.replace(/^"[^"]*"/, `"${bucket}"`) : line)),
  badKeyEncoding: (row: number) => (bytes: Uint8Array) =>
    rewriteCsvLines(bytes, (line, i) =>
      i === row ? line.replace(/^("[^"]*"),"[^"]*"/, '$1,"bad%ZZkey%"') : line,
    ),
  fewerColumns: (row?: number) => (bytes: Uint8Array) =>
    rewriteCsvLines(bytes, (line, i) =>
      row === undefined || i === row ? line.replace(/,"[^"]*"$/, '') : line,
    ),
};

const md5 = (bytes: Uint8Array | string) => createHash('md5').update(bytes).digest('hex');

/**
 * The objects an S3 Inventory delivery writes (S3 User Guide, "Locating your inventory list"):
 * data files under PREFIX/SOURCE/CONFIG/data/, and manifest.json + manifest.checksum under
 * PREFIX/SOURCE/CONFIG/TIMESTAMP/. Returns key -> bytes and the manifest's key.
 */
export function buildInventory(layout: InventoryLayout): {
  objects: Map<string, Uint8Array>;
  manifestKey: string;
} {
  const base = `${layout.prefix}/${layout.sourceBucket}/seal-config`;
  const perFile = layout.rowsPerFile ?? Math.max(layout.entries.length, 1);
  const objects = new Map<string, Uint8Array>();
  const files: { key: string; size: number; MD5checksum: string }[] = [];
  for (let i = 0; i < Math.max(layout.entries.length, 1); i += perFile) {
    const chunk = layout.entries.slice(i, i + perFile);
    const ext = layout.format === 'CSV' ? 'csv.gz' : 'parquet';
    const key = `${base}/data/part-${files.length}.${ext}`;
    const built =
      layout.format === 'CSV'
        ? csvFile(layout.sourceBucket, chunk)
        : parquetFile(layout.sourceBucket, chunk, layout.rowGroupSize);
    const bytes = layout.rewriteFile ? layout.rewriteFile(built, files.length) : built;
    objects.set(key, bytes);
    files.push({ key, size: bytes.length, MD5checksum: md5(bytes) });
  }
  const manifest = JSON.stringify({
    sourceBucket: layout.sourceBucket,
    destinationBucket: `arn:aws:s3:::${layout.destinationBucket}`,
    version: '2016-11-30',
    creationTimestamp: '1793491200000',
    fileFormat: layout.format,
    fileSchema: layout.format === 'CSV' ? CSV_SCHEMA : PARQUET_SCHEMA,
    files,
  });
  const manifestKey = `${base}/2026-11-22T01-00Z/manifest.json`;
  objects.set(manifestKey, new TextEncoder().encode(manifest));
  objects.set(
    manifestKey.replace('manifest.json', 'manifest.checksum'),
    new TextEncoder().encode(`${md5(manifest)}\n`),
  );
  return { objects, manifestKey };
}

/** An S3 client answering GetObject from `objects` (no network); other commands fail the test. */
export function memoryS3(objects: Map<string, Uint8Array>): S3Client {
  const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  s3.middlewareStack.add(
    (_next, context) => async (args) => {
      if (context.commandName !== 'GetObjectCommand') throw new Error(`unexpected ${context.commandName}`);
      const bytes = objects.get((args.input as { Key: string }).Key);
      if (!bytes) {
        throw new S3ServiceException({
          name: 'NoSuchKey',
          $fault: 'client',
          $metadata: { httpStatusCode: 404 },
        });
      }
      // The SDK's Node stream body: a Readable with the transform helpers.
      const body = Object.assign(Readable.from([Buffer.from(bytes)]), {
        transformToString: async (encoding?: BufferEncoding) =>
          Buffer.from(bytes).toString(encoding ?? 'utf8'),
      });
      return { output: { $metadata: {}, Body: body, ContentLength: bytes.length }, response: {} };
    },
    { step: 'initialize', name: 'answerFromMemory' },
  );
  return s3;
}
