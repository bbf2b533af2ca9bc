import type { ObjectState } from '../compliance.js';
import { InventoryError } from './errors.js';

/**
 * One inventory row, whatever the file format: the S3 Inventory fields s3-seal reads (S3 User
 * Guide, "Amazon S3 Inventory list"). Fields the report was not configured with are undefined.
 */
export interface InventoryRow {
  bucket: string;
  /**
   * The exact key (CSV reports URL-encode it; it is decoded here). When the report's text is not
   * valid URL encoding, the text as the report has it, and {@link keyEncodingError} says so.
   */
  key: string;
  /** Why the report's key could not be decoded: the row names no key s3-seal can act on. */
  keyEncodingError?: string;
  versionId?: string;
  /** True for unversioned reports ("current version only"), which have no IsLatest column. */
  isLatest: boolean;
  isDeleteMarker: boolean;
  size?: number;
  lastModified?: Date;
  etag?: string;
  storageClass?: string;
  /** NOT-SSE, SSE-S3, SSE-KMS, DSSE-KMS or SSE-C. */
  encryptionStatus?: string;
  /** ENABLED or DISABLED. */
  bucketKeyStatus?: string;
  intelligentTieringAccessTier?: string;
  objectLockMode?: string;
  objectLockRetainUntil?: Date;
  objectLockLegalHoldStatus?: string;
  /** Only when the report carries the object's KMS key ARN. */
  kmsKeyArn?: string;
}

// CSV names fields in PascalCase (EncryptionStatus), Parquet and ORC in snake_case
// (encryption_status); lower-cased without separators, both give the same name.
const canonical = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

type Field = keyof InventoryRow;
const FIELDS: Record<string, Field> = {
  bucket: 'bucket',
  key: 'key',
  versionid: 'versionId',
  islatest: 'isLatest',
  isdeletemarker: 'isDeleteMarker',
  size: 'size',
  lastmodifieddate: 'lastModified',
  etag: 'etag',
  storageclass: 'storageClass',
  encryptionstatus: 'encryptionStatus',
  bucketkeystatus: 'bucketKeyStatus',
  intelligenttieringaccesstier: 'intelligentTieringAccessTier',
  objectlockmode: 'objectLockMode',
  objectlockretainuntildate: 'objectLockRetainUntil',
  objectlocklegalholdstatus: 'objectLockLegalHoldStatus',
  kmskeyarn: 'kmsKeyArn',
};

/** The row field a report column fills, or undefined for columns s3-seal does not read. */
export function fieldOf(column: string): Field | undefined {
  return FIELDS[canonical(column)];
}

const present = (value: unknown) => value !== undefined && value !== null && value !== '';

function toBoolean(value: unknown): boolean {
  return value === true || value === 'true';
}

function toNumber(value: unknown): number | undefined {
  if (!present(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function toDate(value: unknown): Date | undefined {
  if (!present(value)) return undefined;
  const date =
    value instanceof Date ? value : new Date(typeof value === 'bigint' ? Number(value) : (value as string));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function toText(value: unknown): string | undefined {
  return present(value) ? String(value) : undefined;
}

/**
 * CSV reports, and listings asked for with `EncodingType=url`, URL-encode keys form-style (as S3
 * event records do: `+` for a space, `%2B` for a plus). Decoding anything else would change the key: a literal `%` in a Parquet key is a `%`.
 */
export function decodeUrlEncodedKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new InventoryError(`the key "${encoded}" is not valid URL encoding`);
  }
}

/**
 * Builds a row from one record of column name -> raw value (strings from CSV; booleans, numbers,
 * bigints and Dates from Parquet).
 */
export function toInventoryRow(
  record: Record<string, unknown>,
  options: { urlEncodedKeys: boolean },
): InventoryRow {
  const raw: Partial<Record<Field, unknown>> = {};
  for (const [column, value] of Object.entries(record)) {
    const field = fieldOf(column);
    if (field) raw[field] = value;
  }
  const key = toText(raw.key);
  const bucket = toText(raw.bucket);
  if (key === undefined || bucket === undefined) {
    throw new InventoryError('inventory row without a bucket or key');
  }
  let decoded = key;
  let keyEncodingError: string | undefined;
  if (options.urlEncodedKeys) {
    try {
      decoded = decodeUrlEncodedKey(key);
    } catch (error) {
      keyEncodingError = (error as Error).message;
    }
  }
  return {
    bucket,
    key: decoded,
    ...(keyEncodingError ? { keyEncodingError } : {}),
    versionId: toText(raw.versionId),
    // A report of current versions only has no IsLatest column: every row is the current version.
    isLatest: raw.isLatest === undefined ? true : toBoolean(raw.isLatest),
    isDeleteMarker: toBoolean(raw.isDeleteMarker),
    size: toNumber(raw.size),
    lastModified: toDate(raw.lastModified),
    etag: toText(raw.etag),
    storageClass: toText(raw.storageClass),
    encryptionStatus: toText(raw.encryptionStatus),
    bucketKeyStatus: toText(raw.bucketKeyStatus),
    intelligentTieringAccessTier: toText(raw.intelligentTieringAccessTier),
    objectLockMode: toText(raw.objectLockMode),
    objectLockRetainUntil: toDate(raw.objectLockRetainUntil),
    objectLockLegalHoldStatus: toText(raw.objectLockLegalHoldStatus),
    kmsKeyArn: toText(raw.kmsKeyArn),
  };
}

// EncryptionStatus -> the x-amz-server-side-encryption value a HEAD would show.
const SSE_OF_STATUS: Record<string, string | undefined> = {
  'NOT-SSE': undefined,
  'SSE-S3': 'AES256',
  'SSE-KMS': 'aws:kms',
  'DSSE-KMS': 'aws:kms:dsse',
};

// Intelligent-Tiering's asynchronous archive tiers need a restore before S3 reads the object.
const ARCHIVE_TIERS = new Set(['ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS', 'ARCHIVE', 'DEEP_ARCHIVE']);

/**
 * What the row tells the compliance decision. Inventories carry no user metadata, so a client-side
 * envelope looks like NOT-SSE here: callers that act on NOT-SSE rows must HEAD first.
 */
export function objectStateOf(row: InventoryRow): ObjectState {
  const status = row.encryptionStatus ?? 'NOT-SSE';
  const tier = row.intelligentTieringAccessTier;
  return {
    key: row.key,
    serverSideEncryption: SSE_OF_STATUS[status],
    kmsKeyArn: row.kmsKeyArn,
    sseCustomerAlgorithm: status === 'SSE-C' ? 'AES256' : undefined,
    storageClass: row.storageClass,
    archiveStatus: tier && ARCHIVE_TIERS.has(tier) ? tier : undefined,
    metadata: {},
  };
}
