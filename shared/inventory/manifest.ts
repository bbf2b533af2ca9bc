import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { isNotFound } from '../aws-errors.js';
import { describeError } from '../errors.js';
import { parseS3ObjectUri } from '../s3-uri.js';
import { InventoryError } from './errors.js';

/**
 * The formats S3 Inventory delivers (docs/large-buckets.md). ORC is parsed but refused when read:
 * no well-kept JavaScript ORC reader exists, so an ORC report gets a clear error, not a guess.
 */
export const INVENTORY_FORMATS = ['CSV', 'Parquet', 'ORC'] as const;
export type InventoryFormat = (typeof INVENTORY_FORMATS)[number];

const DataFileSchema = z.object({
  key: z.string().min(1),
  size: z.number().int().min(0),
  MD5checksum: z.string().regex(/^[0-9a-f]{32}$/i, 'MD5checksum is not 32 hex digits'),
});
export type InventoryDataFile = z.infer<typeof DataFileSchema>;

// S3 User Guide, "Inventory manifest": the fields s3-seal reads. Unknown fields are ignored so a
// newer manifest version still parses.
const ManifestSchema = z.object({
  sourceBucket: z.string().min(3),
  destinationBucket: z.string().min(3),
  version: z.string().optional(),
  creationTimestamp: z.string().optional(),
  fileFormat: z.enum(INVENTORY_FORMATS),
  fileSchema: z.string().min(1),
  files: z.array(DataFileSchema),
});

/** A parsed manifest, with the bucket its data files live in (the bucket the manifest was read from). */
export interface InventoryManifest extends z.infer<typeof ManifestSchema> {
  /** The bucket holding manifest.json and, under the same keys the manifest names, the data files. */
  filesBucket: string;
  /** Column names in file order, as the manifest's fileSchema lists them. */
  columns: string[];
}

/**
 * Column names of a fileSchema. CSV manifests list them comma-separated ("Bucket, Key, ...");
 * Parquet and ORC manifests give the schema itself ("message s3.inventory { required binary bucket
 * (UTF8); ... }" or "struct<bucket:string,key:string,...>").
 */
export function schemaColumns(format: InventoryFormat, fileSchema: string): string[] {
  if (format === 'CSV') return fileSchema.split(',').map((name) => name.trim());
  if (format === 'Parquet') {
    return [...fileSchema.matchAll(/(?:required|optional)\s+\w+\s+(\w+)/g)].map((m) => m[1]!);
  }
  const body = /struct<(.*)>/s.exec(fileSchema)?.[1] ?? '';
  return body.split(',').map((field) => field.split(':')[0]!.trim());
}

function md5Hex(bytes: Uint8Array | string): string {
  return createHash('md5').update(bytes).digest('hex');
}

/**
 * Parses manifest.json; `checksum` is the content of manifest.checksum when the report has one (the
 * MD5 of manifest.json). Throws {@link InventoryError} naming what is wrong.
 */
export function parseManifest(text: string, filesBucket: string, checksum?: string): InventoryManifest {
  if (checksum !== undefined && checksum.trim().toLowerCase() !== md5Hex(text)) {
    throw new InventoryError(
      `manifest.json does not match manifest.checksum (MD5 ${md5Hex(text)}, checksum says ${checksum.trim()}): the manifest was altered or truncated`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InventoryError(`manifest.json is not JSON: ${describeError(error)}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InventoryError(
      `manifest.json is not an S3 Inventory manifest: ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const columns = schemaColumns(parsed.data.fileFormat, parsed.data.fileSchema);
  if (columns.length === 0 || !columns.some((c) => c.toLowerCase() === 'key')) {
    throw new InventoryError(`manifest.json fileSchema names no Key column: "${parsed.data.fileSchema}"`);
  }
  return { ...parsed.data, filesBucket, columns };
}

async function getText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body!.transformToString('utf8');
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Reads and checks `s3://BUCKET/PATH/manifest.json` and, beside it, manifest.checksum if present. */
export async function readManifest(s3: S3Client, uri: string): Promise<InventoryManifest> {
  const { bucket, key } = parseS3ObjectUri(uri);
  if (!key.endsWith('manifest.json')) {
    throw new InventoryError(`--inventory must name an inventory's manifest.json, not "${uri}"`);
  }
  const text = await getText(s3, bucket, key);
  if (text === undefined) throw new InventoryError(`no inventory manifest at ${uri}`);
  const checksum = await getText(s3, bucket, key.replace(/manifest\.json$/, 'manifest.checksum'));
  return parseManifest(text, bucket, checksum);
}

/** Throws unless `bytes` are the data file the manifest describes (size and MD5). */
export function assertDataFileIntact(file: InventoryDataFile, size: number, md5: string): void {
  if (size !== file.size || md5.toLowerCase() !== file.MD5checksum.toLowerCase()) {
    throw new InventoryError(
      `inventory data file ${file.key} does not match its manifest (size ${size}, MD5 ${md5}; manifest says size ${file.size}, MD5 ${file.MD5checksum}): nothing was read from it`,
    );
  }
}
