import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as chain, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse';
import { type AsyncBuffer, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { isNotFound } from '../aws-errors.js';
import { describeError, RetryableError } from '../errors.js';
import { checkDataFileStart, DATA_FILE_EDGE_BYTES } from './data-file-start.js';
import { InventoryError } from './errors.js';
import { assertDataFileIntact, type InventoryDataFile, type InventoryManifest } from './manifest.js';
import { type InventoryRow, toInventoryRow } from './row.js';

/**
 * Copies one data file to local disk while hashing it, and checks size and MD5 against the manifest
 * before a single row is read: a tampered or truncated file yields no rows at all. (Reading rows
 * straight from the S3 stream would hand out rows before the checksum could be known.) Lambda's
 * /tmp holds up to 10 GB; inventory data files are far smaller.
 */
async function fetchVerified(
  s3: S3Client,
  bucket: string,
  file: InventoryDataFile,
  dir: string,
): Promise<string> {
  const path = join(dir, file.key.replace(/[^A-Za-z0-9._-]/g, '_'));
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: file.key })).catch((error) => {
    const where = `inventory data file s3://${bucket}/${file.key}`;
    // Gone since the run checked it: no retry brings it back. Anything else (throttling, a 5xx)
    // may pass, so the message comes back.
    if (isNotFound(error)) throw new InventoryError(`${where} is gone`, { cause: error });
    throw new RetryableError(`cannot read ${where}: ${describeError(error)}`, { cause: error });
  });
  const md5 = createHash('md5');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(out.Body as Readable, hashing, createWriteStream(path));
  assertDataFileIntact(file, size, md5.digest('hex'));
  return path;
}

async function* csvRows(path: string, columns: string[], rowStart: number): AsyncGenerator<InventoryRow> {
  // S3 Inventory CSV files are gzip-compressed, quoted, without a header row; the manifest's
  // fileSchema names the columns.
  // Chained, not piped: a file that is not gzip fails the gunzip stage, and the error must reach
  // the reader below (a piped stage's error would be unhandled and end the process).
  const records = chain(
    createReadStream(path),
    createGunzip(),
    parse({ columns, relax_quotes: false }),
    () => undefined,
  );
  let index = 0;
  try {
    // A gzip stream cannot be entered in the middle: rows before rowStart are parsed and dropped.
    for await (const record of records) {
      if (index++ < rowStart) continue;
      yield toInventoryRow(record as Record<string, string>, { urlEncodedKeys: true });
    }
  } catch (error) {
    if (error instanceof InventoryError) throw error;
    // csv-parse names the line; say which file and that the schema decides the columns.
    throw new InventoryError(
      `inventory data file does not parse as the manifest's CSV schema: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** A hyparquet AsyncBuffer over a local file: ranged reads, so memory holds one row group at a time. */
async function fileBuffer(path: string): Promise<{ buffer: AsyncBuffer; close: () => Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const buffer: AsyncBuffer = {
    byteLength: size,
    async slice(start, end = size) {
      const bytes = Buffer.alloc(end - start);
      await handle.read(bytes, 0, bytes.length, start);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    },
  };
  return { buffer, close: () => handle.close() };
}

async function* parquetRows(path: string, firstRow: number): AsyncGenerator<InventoryRow> {
  const { buffer, close } = await fileBuffer(path);
  try {
    const metadata = await parquetMetadataAsync(buffer);
    let rowStart = 0;
    // One row group at a time: an inventory file may hold millions of rows.
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      if (rowEnd <= firstRow) {
        // Row groups before the first row asked for are never read.
        rowStart = rowEnd;
        continue;
      }
      const rows = await parquetReadObjects({
        file: buffer,
        metadata,
        rowStart: Math.max(rowStart, firstRow),
        rowEnd,
      });
      for (const record of rows) yield toInventoryRow(record, { urlEncodedKeys: false });
      rowStart = rowEnd;
    }
  } finally {
    await close();
  }
}

/** The rows of one data file of `manifest` from row `rowStart` (0-based) on, after its MD5 matched. */
export async function* readDataFileRows(
  s3: S3Client,
  manifest: Pick<InventoryManifest, 'filesBucket' | 'fileFormat' | 'columns'>,
  file: InventoryDataFile,
  rowStart = 0,
): AsyncGenerator<InventoryRow> {
  if (manifest.fileFormat === 'ORC') {
    throw new InventoryError(
      'ORC inventory reports are not supported: configure the inventory as CSV or Parquet',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 's3-seal-inventory-'));
  try {
    const path = await fetchVerified(s3, manifest.filesBucket, file, dir);
    try {
      yield* manifest.fileFormat === 'CSV'
        ? csvRows(path, manifest.columns, rowStart)
        : parquetRows(path, rowStart);
    } catch (error) {
      // Its MD5 matched, so the same bytes come back on every retry: permanent, and named.
      const where = `inventory data file s3://${manifest.filesBucket}/${file.key}`;
      const why = error instanceof InventoryError ? error.message : describeError(error);
      throw new InventoryError(`${where}: ${why}`, { cause: error });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Checks every data file's size and MD5 against the manifest without keeping it (streamed through
 * the hash), and the start of each ({@link checkDataFileStart}: gzip and the column count of a
 * CSV file's first row, Parquet's magic and columns): what a run does before it records or queues
 * anything, so a tampered or broken report changes nothing. Reads the whole report once, four
 * files at a time.
 */
export async function verifyDataFiles(
  s3: S3Client,
  manifest: Pick<InventoryManifest, 'filesBucket' | 'files' | 'fileFormat' | 'columns'>,
): Promise<void> {
  const check = async (file: InventoryDataFile) => {
    const where = `inventory data file s3://${manifest.filesBucket}/${file.key}`;
    const out = await s3
      .send(new GetObjectCommand({ Bucket: manifest.filesBucket, Key: file.key }))
      .catch((error) => {
        throw new InventoryError(`cannot read ${where}`, { cause: error });
      });
    const md5 = createHash('md5');
    let size = 0;
    const head: Buffer[] = [];
    let headBytes = 0;
    let tail = Buffer.alloc(0);
    for await (const chunk of out.Body as Readable) {
      const bytes = chunk as Buffer;
      md5.update(bytes);
      size += bytes.length;
      if (headBytes < DATA_FILE_EDGE_BYTES) {
        head.push(bytes.subarray(0, DATA_FILE_EDGE_BYTES - headBytes));
        headBytes += Math.min(bytes.length, DATA_FILE_EDGE_BYTES - headBytes);
      }
      tail = Buffer.concat([tail, bytes]);
      if (tail.length > DATA_FILE_EDGE_BYTES) tail = tail.subarray(tail.length - DATA_FILE_EDGE_BYTES);
    }
    assertDataFileIntact(file, size, md5.digest('hex'));
    if (manifest.fileFormat === 'ORC') return;
    try {
      checkDataFileStart(where, manifest.fileFormat, manifest.columns, {
        head: Buffer.concat(head),
        tail,
        size,
      });
    } catch (error) {
      throw new InventoryError(`${describeError(error)}: nothing was recorded`, { cause: error });
    }
  };
  for (let i = 0; i < manifest.files.length; i += 4) {
    await Promise.all(manifest.files.slice(i, i + 4).map(check));
  }
}

/** Every row of every data file, file by file in manifest order. */
export async function* readInventoryRows(
  s3: S3Client,
  manifest: InventoryManifest,
): AsyncGenerator<InventoryRow> {
  for (const file of manifest.files) yield* readDataFileRows(s3, manifest, file);
}
