import { ConfigError } from './errors.js';

/** A bucket and an optional key or prefix, as written `s3://BUCKET[/KEY-OR-PREFIX]`. */
export interface S3Location {
  bucket: string;
  key: string;
}

// Bucket naming rules (S3 User Guide, "General purpose bucket naming rules"): 3-63 characters of
// lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket/prefix`; the key part may be empty (the whole bucket). */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri.trim());
  if (!match) {
    throw new ConfigError(`not an S3 URI: "${uri}" (expected s3://BUCKET[/PREFIX])`);
  }
  const bucket = match[1]!;
  if (!BUCKET_NAME.test(bucket)) {
    throw new ConfigError(`not a valid bucket name: "${bucket}"`);
  }
  return { bucket, key: match[2] ?? '' };
}

/** Parses `s3://bucket/key` where a key is required (a single object). */
export function parseS3ObjectUri(uri: string): S3Location {
  const location = parseS3Uri(uri);
  if (location.key === '') {
    throw new ConfigError(`"${uri}" names a bucket, not an object (expected s3://BUCKET/KEY)`);
  }
  return location;
}

export function formatS3Uri({ bucket, key }: S3Location): string {
  return `s3://${bucket}/${key}`;
}
