import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeFormEncodedKey } from './key-encoding.js';

/** One version or delete marker, its key exactly as stored. */
export interface ListedVersion {
  key: string;
  versionId?: string;
  isLatest: boolean;
  isDeleteMarker: boolean;
  size: number;
  lastModified?: Date;
}

/**
 * Every version and delete marker under a prefix, a page at a time, with exact keys: the listing
 * asks for URL-encoded keys, as every listing here does, since an XML parser turns a raw `\r` in a
 * key into `\n` (S3 API, ListObjectVersions, "EncodingType"). A page holds its versions, then its
 * delete markers.
 */
export async function* listVersionPages(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<ListedVersion[]> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix || undefined,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
        EncodingType: 'url',
      }),
    );
    // An endpoint that ignores EncodingType says so by not echoing it; its keys are then raw.
    const decode = out.EncodingType === 'url' ? decodeFormEncodedKey : (raw: string) => raw;
    const versions = (out.Versions ?? []).map((v) => ({
      key: decode(v.Key ?? ''),
      versionId: v.VersionId,
      isLatest: v.IsLatest === true,
      isDeleteMarker: false,
      size: v.Size ?? 0,
      lastModified: v.LastModified,
    }));
    const markers = (out.DeleteMarkers ?? []).map((m) => ({
      key: decode(m.Key ?? ''),
      versionId: m.VersionId,
      isLatest: m.IsLatest === true,
      isDeleteMarker: true,
      size: 0,
      lastModified: m.LastModified,
    }));
    yield [...versions, ...markers];
    // The markers go back as S3 sent them: they are its own encoding of where the page ended.
    keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
    versionIdMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
  } while (keyMarker);
}
