import { constants, gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { parquetMetadata } from 'hyparquet';
import { describeError } from '../errors.js';
import { InventoryError } from './errors.js';
import type { InventoryFormat } from './manifest.js';

/** Bytes kept of each end of a data file while it is hashed: enough for a first row and a footer. */
export const DATA_FILE_EDGE_BYTES = 64 * 1024;

/** The first and last {@link DATA_FILE_EDGE_BYTES} bytes of a data file (the whole of a small one). */
export interface DataFileEdges {
  head: Buffer;
  tail: Buffer;
  /** The file's size: a head that is the whole file decompresses to the end. */
  size: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = 'PAR1';

/**
 * Checks the start of one data file before a run is recorded (docs/large-buckets.md, "What is
 * checked first"): a CSV file is gzip and its first row has as many columns as the manifest's
 * fileSchema names; a Parquet file carries the PAR1 magic at both ends and, where its footer fits
 * in the tail kept, as many columns as the fileSchema. A file whose MD5 matched but fails here
 * would fail the same way on every read, so the run is refused instead of recorded.
 * Rows past the first are checked as they are read (a file that breaks later fails its run).
 */
export function checkDataFileStart(
  where: string,
  format: Exclude<InventoryFormat, 'ORC'>,
  columns: string[],
  edges: DataFileEdges,
): void {
  if (format === 'CSV') checkCsvStart(where, columns, edges);
  else checkParquetEnds(where, columns, edges);
}

function checkCsvStart(where: string, columns: string[], { head, size }: DataFileEdges): void {
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
    throw new InventoryError(`${where} is not gzip (S3 Inventory CSV files are gzip-compressed)`);
  }
  let text: string;
  try {
    // A sync flush decompresses what the head holds without requiring the stream's end.
    const whole = head.length === size;
    text = gunzipSync(head, whole ? {} : { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch (error) {
    throw new InventoryError(`${where} is not valid gzip: ${describeError(error)}`);
  }
  const end = text.indexOf('\n');
  if (end < 0 && head.length < size) return; // a first row longer than the head: read rows check it
  const line = end < 0 ? text : text.slice(0, end);
  if (line.trim() === '') return; // a report of an empty bucket has no rows
  let record: string[];
  try {
    record = (parse(line, { relax_quotes: false }) as string[][])[0] ?? [];
  } catch (error) {
    throw new InventoryError(`${where}: its first row does not parse as CSV: ${describeError(error)}`);
  }
  if (record.length !== columns.length) {
    throw new InventoryError(
      `${where}: its first row has ${record.length} columns, the manifest's fileSchema names ${columns.length}`,
    );
  }
}

function checkParquetEnds(where: string, columns: string[], { head, tail }: DataFileEdges): void {
  if (head.subarray(0, 4).toString('latin1') !== PARQUET_MAGIC) {
    throw new InventoryError(`${where} is not Parquet (it does not start with PAR1)`);
  }
  if (tail.length < 8 || tail.subarray(tail.length - 4).toString('latin1') !== PARQUET_MAGIC) {
    throw new InventoryError(`${where} is not Parquet (it does not end with PAR1)`);
  }
  // The footer's length is the 4 bytes before the final PAR1; a footer larger than the tail kept is
  // left to the reader.
  if (tail.readUInt32LE(tail.length - 8) + 8 > tail.length) return;
  let leaves: number;
  try {
    const { schema } = parquetMetadata(tail);
    leaves = schema.filter((element) => element.num_children === undefined).length;
  } catch (error) {
    throw new InventoryError(`${where}: its Parquet footer does not parse: ${describeError(error)}`);
  }
  if (leaves !== columns.length) {
    throw new InventoryError(
      `${where}: it has ${leaves} columns, the manifest's fileSchema names ${columns.length}`,
    );
  }
}
