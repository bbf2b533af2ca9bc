import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkDataFileStart, DATA_FILE_EDGE_BYTES } from '../../../../shared/inventory/data-file-start.js';
import { readManifest, schemaColumns } from '../../../../shared/inventory/manifest.js';
import { verifyDataFiles } from '../../../../shared/inventory/read-rows.js';
import { breakCsv, buildInventory, type InventoryEntry, memoryS3 } from '../../../helpers/inventory.js';

const WHERE = 'inventory data file s3://dest/inv/data/part-0.csv.gz';
const COLUMNS = ['Bucket', 'Key', 'Size'];
const edgesOf = (bytes: Uint8Array) => {
  const all = Buffer.from(bytes);
  return {
    head: all.subarray(0, DATA_FILE_EDGE_BYTES),
    tail: all.subarray(Math.max(0, all.length - DATA_FILE_EDGE_BYTES)),
    size: all.length,
  };
};
const check = (bytes: Uint8Array, format: 'CSV' | 'Parquet' = 'CSV', columns = COLUMNS) =>
  checkDataFileStart(WHERE, format, columns, edgesOf(bytes));

describe('checkDataFileStart (CSV)', () => {
  it('accepts a gzip file whose first row has the fileSchema columns, and an empty report', () => {
    expect(() => check(gzipSync('"b","k","1"\n"b","k2","2"\n'))).not.toThrow();
    expect(() => check(gzipSync(''))).not.toThrow();
  });

  it('refuses bytes that are not gzip, naming the file', () => {
    expect(() => check(new TextEncoder().encode('"b","k","1"\n'))).toThrow(
      `${WHERE} is not gzip (S3 Inventory CSV files are gzip-compressed)`,
    );
  });

  it('refuses a first row with fewer (or more) columns than the fileSchema, with both counts', () => {
    expect(() => check(gzipSync('"b","k"\n'))).toThrow(
      `${WHERE}: its first row has 2 columns, the manifest's fileSchema names 3`,
    );
    expect(() => check(gzipSync('"b","k","1","x"\n'))).toThrow(/first row has 4 columns/);
  });

  it('checks the first row of a file larger than the head it keeps (a partial gzip stream)', () => {
    // Incompressible rows: the first row sits in the head, the stream's end does not.
    const rows = Array.from({ length: 400 }, () => `"b","${randomBytes(300).toString('hex')}"`);
    const bytes = gzipSync(`${rows.join('\n')}\n`);
    expect(bytes.length).toBeGreaterThan(DATA_FILE_EDGE_BYTES);
    expect(() => check(bytes)).toThrow(/first row has 2 columns/);
    expect(() => check(bytes, 'CSV', ['Bucket', 'Key'])).not.toThrow();
  });
});

describe('checkDataFileStart (Parquet)', () => {
  const entries: InventoryEntry[] = [{ key: 'a', size: 1, etag: 'e', encryptionStatus: 'NOT-SSE' }];
  const { objects, manifestKey } = buildInventory({
    sourceBucket: 'data',
    destinationBucket: 'dest',
    prefix: 'inv',
    format: 'Parquet',
    entries,
  });
  const manifest = JSON.parse(new TextDecoder().decode(objects.get(manifestKey)));
  const columns = schemaColumns('Parquet', manifest.fileSchema);
  const file = objects.get(manifest.files[0].key)!;

  it('accepts a file with PAR1 at both ends and the fileSchema columns', () => {
    expect(() => check(file, 'Parquet', columns)).not.toThrow();
  });

  it('refuses bytes that are not Parquet, and a column count that differs', () => {
    expect(() => check(new TextEncoder().encode('not parquet at all'), 'Parquet', columns)).toThrow(
      `${WHERE} is not Parquet (it does not start with PAR1)`,
    );
    expect(() => check(file, 'Parquet', columns.slice(1))).toThrow(
      `${WHERE}: it has ${columns.length} columns, the manifest's fileSchema names ${columns.length - 1}`,
    );
  });
});

describe('verifyDataFiles', () => {
  it('refuses a report whose data file matches its MD5 but is not gzip: nothing was recorded', async () => {
    const { objects, manifestKey } = buildInventory({
      sourceBucket: 'data',
      destinationBucket: 'dest',
      prefix: 'inv',
      format: 'CSV',
      entries: [{ key: 'a', size: 1, etag: 'e', encryptionStatus: 'NOT-SSE' }],
      rewriteFile: breakCsv.notGzip,
    });
    const s3 = memoryS3(objects);
    const manifest = await readManifest(s3, `s3://dest/${manifestKey}`);
    await expect(verifyDataFiles(s3, manifest)).rejects.toThrow(
      `inventory data file s3://dest/${manifest.files[0]!.key} is not gzip (S3 Inventory CSV files are gzip-compressed): nothing was recorded`,
    );
  });
});
