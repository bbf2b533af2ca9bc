import type { S3Client } from '@aws-sdk/client-s3';
import { plaintextVersionsLeft, type VersionsLeft } from '../shared/s3/noncurrent-versions.js';
import { displayS3Uri } from '../shared/s3-uri.js';

/**
 * Says what a rewrite in a versioned bucket leaves behind: S3 keeps every older version, and
 * s3-seal never deletes one, so their plaintext remains readable to anyone who may read versions.
 */
export async function reportVersionsLeft(
  s3: S3Client,
  scope: { bucket: string; prefix: string },
  options: { list: boolean; limit?: number },
): Promise<VersionsLeft> {
  const left = await plaintextVersionsLeft(s3, scope.bucket, scope.prefix, { limit: options.limit });
  if (!left.versioned) return left;
  if (options.list) {
    for (const version of left.plaintext) {
      console.log(
        `PLAINTEXT VERSION  ${displayS3Uri({ bucket: scope.bucket, key: version.key })}  version ${version.versionId}${version.lastModified ? ` (${version.lastModified.toISOString()})` : ''}`,
      );
    }
  }
  const where = displayS3Uri({ bucket: scope.bucket, key: scope.prefix });
  console.log(
    `  plaintext versions left  ${left.plaintext.length} of ${left.noncurrent} noncurrent versions under ${where}` +
      (left.checked < left.noncurrent ? ` (the first ${left.checked} checked)` : '') +
      (left.plaintext.length > 0 && !options.list
        ? ` (s3-seal never deletes versions; list them: s3-seal verify ${where} --versions)`
        : ''),
  );
  return left;
}
