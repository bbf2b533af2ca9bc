import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors.js';
import { type InventoryDataFile, type InventoryManifest, readManifest } from './manifest.js';
import { verifyDataFiles } from './read-rows.js';

/**
 * Reads and checks a run's inventory before anything is recorded: the manifest (and its checksum),
 * the bucket it lists, a format s3-seal reads, at least one data file, and every data file's MD5.
 * Any problem throws, so a bad report changes nothing.
 */
export async function readRunInventory(
  s3: S3Client,
  uri: string,
  bucket: string,
): Promise<InventoryManifest> {
  const manifest = await readManifest(s3, uri);
  if (manifest.sourceBucket !== bucket) {
    throw new ConfigError(`the inventory lists bucket ${manifest.sourceBucket}, not ${bucket}`);
  }
  if (manifest.fileFormat === 'ORC') {
    throw new ConfigError(
      'ORC inventory reports are not supported: configure the inventory as CSV or Parquet',
    );
  }
  if (manifest.files.length === 0) throw new ConfigError(`the inventory at ${uri} lists no data files`);
  await verifyDataFiles(s3, manifest);
  return manifest;
}

/** The data-file part of each file's first scan message: one message per file, read in parallel. */
export function dataFileMessages(manifest: InventoryManifest): Array<{
  page: number;
  files: number;
  filesBucket: string;
  fileFormat: 'CSV' | 'Parquet';
  columns: string[];
  file: InventoryDataFile;
  rowStart: number;
  chunk: number;
}> {
  return manifest.files.map((file, i) => ({
    page: i + 1,
    files: manifest.files.length,
    filesBucket: manifest.filesBucket,
    fileFormat: manifest.fileFormat as 'CSV' | 'Parquet',
    columns: manifest.columns,
    file,
    rowStart: 0,
    chunk: 1,
  }));
}
