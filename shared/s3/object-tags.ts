import { GetObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Reads an object's tags as the URL-encoded `Tagging` header value that PutObject and
 * CreateMultipartUpload take, or undefined when it has none. Server-side copies keep tags by
 * themselves (TaggingDirective COPY); every other rewrite must carry them over explicitly.
 */
export async function readTagging(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<string | undefined> {
  const out = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const tags = out.TagSet ?? [];
  if (tags.length === 0) return undefined;
  return new URLSearchParams(tags.map((t): [string, string] => [t.Key ?? '', t.Value ?? ''])).toString();
}
