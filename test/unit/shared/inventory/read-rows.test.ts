import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InventoryError } from '../../../../shared/inventory/errors.js';
import { parseManifest, readManifest, schemaColumns } from '../../../../shared/inventory/manifest.js';
import { readDataFileRows, readInventoryRows } from '../../../../shared/inventory/read-rows.js';
import { decodeUrlEncodedKey, objectStateOf } from '../../../../shared/inventory/row.js';
import { buildInventory, type InventoryEntry, memoryS3 } from '../../../helpers/inventory.js';

const entries: InventoryEntry[] = [
  { key: 'plain/a.txt', size: 10, etag: 'e1', encryptionStatus: 'NOT-SSE' },
  { key: 'with space+plus/ü%.txt', size: 11, etag: 'e2', encryptionStatus: 'SSE-S3' },
  { key: 'kms/b', size: 12, etag: 'e3', encryptionStatus: 'SSE-KMS', bucketKeyStatus: 'ENABLED' },
  { key: 'cold/c', size: 13, etag: 'e4', encryptionStatus: 'NOT-SSE', storageClass: 'GLACIER' },
  { key: 'custc/d', size: 14, etag: 'e5', encryptionStatus: 'SSE-C' },
  { key: 'old/e', versionId: 'v1', isLatest: false, size: 15, etag: 'e6', encryptionStatus: 'NOT-SSE' },
  { key: 'gone/f', versionId: 'v2', isDeleteMarker: true, size: 0, etag: '', encryptionStatus: 'NOT-SSE' },
];

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

function uriOf(manifestKey: string) {
  return `s3://inventory-dest/${manifestKey}`;
}

describe.each(['CSV', 'Parquet'] as const)('a %s inventory', (format) => {
  // Row groups of three rows: a Parquet file's rows cross row-group boundaries.
  const layout = {
    sourceBucket: 'data-bucket',
    destinationBucket: 'inventory-dest',
    prefix: 'inv',
    format,
    entries,
    rowGroupSize: 3,
  };

  it('yields one typed row per entry, across data files, with exact keys', async () => {
    const { objects, manifestKey } = buildInventory({ ...layout, rowsPerFile: 5 });
    const s3 = memoryS3(objects);
    const manifest = await readManifest(s3, uriOf(manifestKey));
    expect(manifest.files).toHaveLength(2);
    const rows = await collect(readInventoryRows(s3, manifest));
    expect(rows.map((r) => r.key)).toEqual(entries.map((e) => e.key));
    expect(rows[1]).toMatchObject({
      bucket: 'data-bucket',
      size: 11,
      etag: 'e2',
      encryptionStatus: 'SSE-S3',
    });
    expect(rows[2]).toMatchObject({ bucketKeyStatus: 'ENABLED', storageClass: 'STANDARD', isLatest: true });
    expect(rows[5]).toMatchObject({ versionId: 'v1', isLatest: false, isDeleteMarker: false });
    expect(rows[6]).toMatchObject({ versionId: 'v2', isDeleteMarker: true });
    expect(rows[0]!.lastModified?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(typeof rows[0]!.size).toBe('number');
  });

  it('reads a data file from a given row on (a later chunk)', async () => {
    const { objects, manifestKey } = buildInventory(layout);
    const s3 = memoryS3(objects);
    const manifest = await readManifest(s3, uriOf(manifestKey));
    const rows = await collect(readDataFileRows(s3, manifest, manifest.files[0]!, 4));
    expect(rows.map((r) => r.key)).toEqual(entries.slice(4).map((e) => e.key));
  });

  it('reads nothing from a data file whose MD5 differs from the manifest', async () => {
    const { objects, manifestKey } = buildInventory(layout);
    const dataKey = [...objects.keys()].find((k) => k.includes('/data/'))!;
    const tampered = Uint8Array.from(objects.get(dataKey)!);
    tampered[tampered.length - 5]! ^= 0xff;
    objects.set(dataKey, tampered);
    const s3 = memoryS3(objects);
    const manifest = await readManifest(s3, uriOf(manifestKey));
    const seen: string[] = [];
    const reading = (async () => {
      for await (const row of readInventoryRows(s3, manifest)) seen.push(row.key);
    })();
    await expect(reading).rejects.toThrow(/does not match its manifest .*MD5/);
    expect(seen).toEqual([]);
  });
});

describe.each([
  ['CSV', 'bytes that are not gzip', new TextEncoder().encode('this is not a gzip file')],
  ['CSV', 'gzip that is not the CSV schema', gzipSync('"an unterminated, quote\n')],
  ['Parquet', 'bytes that are not Parquet', new TextEncoder().encode('this is not a parquet file')],
] as const)('a %s data file of %s (its MD5 matching the manifest)', (format, _what, bytes) => {
  it('fails that file with a permanent error naming it, and ends nothing else', async () => {
    const { objects, manifestKey } = buildInventory({
      sourceBucket: 'data-bucket',
      destinationBucket: 'inventory-dest',
      prefix: 'inv',
      format,
      entries,
    });
    const s3 = memoryS3(objects);
    const manifest = await readManifest(s3, uriOf(manifestKey));
    const file = manifest.files[0]!;
    objects.set(file.key, Uint8Array.from(bytes));
    const forged = {
      ...file,
      size: bytes.length,
      MD5checksum: createHash('md5').update(bytes).digest('hex'),
    };
    const reading = collect(readDataFileRows(s3, manifest, forged));
    await expect(reading).rejects.toBeInstanceOf(InventoryError);
    await expect(collect(readDataFileRows(s3, manifest, forged))).rejects.toThrow(
      `inventory data file s3://inventory-dest/${file.key}: `,
    );
  });
});

describe('the manifest', () => {
  const { objects, manifestKey } = buildInventory({
    sourceBucket: 'data-bucket',
    destinationBucket: 'inventory-dest',
    prefix: 'inv',
    format: 'CSV',
    entries,
  });
  const text = new TextDecoder().decode(objects.get(manifestKey));

  it('is refused when it does not match manifest.checksum', () => {
    const altered = text.replace('"size":', '"size": ');
    expect(() => parseManifest(altered, 'inventory-dest', 'a'.repeat(32))).toThrow(InventoryError);
    expect(() => parseManifest(altered, 'inventory-dest', 'a'.repeat(32))).toThrow(/manifest.checksum/);
  });

  it('parses without a checksum file, keeping the CSV column order', () => {
    const manifest = parseManifest(text, 'inventory-dest');
    expect(manifest.fileFormat).toBe('CSV');
    expect(manifest.columns.slice(0, 3)).toEqual(['Bucket', 'Key', 'VersionId']);
  });

  it('names the missing field of a manifest that is not an inventory manifest', () => {
    const json = JSON.parse(text);
    delete json.fileFormat;
    expect(() => parseManifest(JSON.stringify(json), 'b')).toThrow(/fileFormat/);
    expect(() => parseManifest('{not json', 'b')).toThrow(/not JSON/);
  });

  it('is required to be a manifest.json', async () => {
    await expect(readManifest(memoryS3(objects), 's3://inventory-dest/inv/report.csv')).rejects.toThrow(
      /manifest.json/,
    );
    await expect(readManifest(memoryS3(objects), 's3://inventory-dest/nope/manifest.json')).rejects.toThrow(
      /no inventory manifest/,
    );
  });

  it('lists Parquet and ORC schema columns', () => {
    expect(
      schemaColumns(
        'Parquet',
        'message s3.inventory { required binary bucket (STRING); optional boolean is_latest; }',
      ),
    ).toEqual(['bucket', 'is_latest']);
    expect(schemaColumns('ORC', 'struct<bucket:string,key:string,size:bigint>')).toEqual([
      'bucket',
      'key',
      'size',
    ]);
  });
});

describe('a CSV data file that does not fit its schema', () => {
  it('is an InventoryError naming the problem', async () => {
    const bytes = gzipSync('"b","k","1"\n"b","k2"\n');
    const file = {
      key: 'inv/data/bad.csv.gz',
      size: bytes.length,
      MD5checksum: createHash('md5').update(bytes).digest('hex'),
    };
    const s3 = memoryS3(new Map([[file.key, new Uint8Array(bytes)]]));
    const manifest = {
      filesBucket: 'inventory-dest',
      fileFormat: 'CSV' as const,
      columns: ['Bucket', 'Key', 'Size'],
    };
    await expect(collect(readDataFileRows(s3, manifest, file))).rejects.toThrow(
      /does not parse as the manifest's CSV schema/,
    );
  });
});

describe('rows', () => {
  it('decode CSV keys form-style: + is a space, %2B a plus', () => {
    expect(decodeUrlEncodedKey('a+b%2Bc%2Fd')).toBe('a b+c/d');
    expect(() => decodeUrlEncodedKey('bad%E0%A4')).toThrow(/URL encoding/);
  });

  it('map EncryptionStatus to what a HEAD shows', () => {
    const base = { bucket: 'b', key: 'k', isLatest: true, isDeleteMarker: false };
    expect(objectStateOf({ ...base, encryptionStatus: 'SSE-KMS' }).serverSideEncryption).toBe('aws:kms');
    expect(objectStateOf({ ...base, encryptionStatus: 'DSSE-KMS' }).serverSideEncryption).toBe(
      'aws:kms:dsse',
    );
    expect(objectStateOf({ ...base, encryptionStatus: 'SSE-C' }).sseCustomerAlgorithm).toBe('AES256');
    expect(objectStateOf({ ...base, encryptionStatus: 'NOT-SSE' }).serverSideEncryption).toBeUndefined();
    expect(
      objectStateOf({ ...base, intelligentTieringAccessTier: 'DEEP_ARCHIVE_ACCESS' }).archiveStatus,
    ).toBe('DEEP_ARCHIVE_ACCESS');
  });
});
