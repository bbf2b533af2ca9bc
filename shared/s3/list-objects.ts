import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { decodeFormEncodedKey } from './key-encoding.js';

/** What to list: a bucket, optionally under a prefix and grouped by a delimiter. */
export interface ListRequest {
  bucket: string;
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  continuationToken?: string;
  /** Only keys after this one (S3 ignores it when a continuation token is given). */
  startAfter?: string;
}

/** One listed object, its key exactly as stored. */
export interface ListedObject {
  key: string;
  etag?: string;
  size?: number;
  storageClass?: string;
  /** When S3 stored the object (set by S3, whole seconds; nobody can backdate it). */
  lastModified?: Date;
}

export interface ListedPage {
  objects: ListedObject[];
  /** With a delimiter: the exact common prefixes ("folders") of this page. */
  commonPrefixes: string[];
  /** Present only when another page follows; opaque, never encoded or decoded. */
  nextContinuationToken?: string;
}

/**
 * Lists one page with `EncodingType=url` and returns exact keys. Without it S3 sends each key raw
 * inside XML, and XML parsers normalise line ends (`\r` and `\r\n` become `\n`, XML 1.0 §2.11), so
 * a key `a\rb` comes back as `a\nb`, a key that does not exist (S3 API, ListObjectsV2,
 * "EncodingType"). Keys and
 * common prefixes are decoded; the request's own prefix and delimiter are used as sent rather than
 * read back from the response, whose echo of them differs between S3 and emulators.
 */
export async function listObjectsPage(s3: S3Client, request: ListRequest): Promise<ListedPage> {
  const out = await s3.send(
    new ListObjectsV2Command({
      Bucket: request.bucket,
      Prefix: request.prefix || undefined,
      Delimiter: request.delimiter || undefined,
      MaxKeys: request.maxKeys,
      ContinuationToken: request.continuationToken,
      StartAfter: request.startAfter,
      EncodingType: 'url',
    }),
  );
  // An endpoint that ignores EncodingType says so by not echoing it; its keys are then raw.
  const decode = out.EncodingType === 'url' ? decodeFormEncodedKey : (raw: string) => raw;
  return {
    objects: (out.Contents ?? []).map((object) => ({
      key: decode(object.Key ?? ''),
      etag: object.ETag,
      size: object.Size,
      storageClass: object.StorageClass,
      ...(object.LastModified ? { lastModified: object.LastModified } : {}),
    })),
    commonPrefixes: (out.CommonPrefixes ?? []).map((common) => decode(common.Prefix ?? '')),
    nextContinuationToken: (out.IsTruncated && out.NextContinuationToken) || undefined,
  };
}

/** Every page of a listing, in order, each with exact keys (see {@link listObjectsPage}). */
export async function* listObjectPages(s3: S3Client, request: ListRequest): AsyncGenerator<ListedPage> {
  let continuationToken = request.continuationToken;
  do {
    const page = await listObjectsPage(s3, { ...request, continuationToken });
    yield page;
    continuationToken = page.nextContinuationToken;
  } while (continuationToken);
}
