import { ConfigError } from './errors.js';

/** A bucket and an optional key or prefix, as written `s3://BUCKET[/KEY-OR-PREFIX]`. */
export interface S3Location {
  bucket: string;
  key: string;
}

// Bucket naming rules (S3 User Guide, "General purpose bucket naming rules"): 3-63 characters of
// lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

// The key part may hold any character, line breaks included: `[\s\S]`, not `.`.
const S3_URI = /^s3:\/\/([^/]+)(?:\/([\s\S]*))?$/;

// The `?versionId=` form other tools accept for one object version. Keys may contain `?`, so only
// this exact form at the end of the URI is taken as a version and refused.
const VERSION_QUALIFIED = /^([\s\S]*)\?versionId=([^/]*)$/;

/**
 * Parses `s3://bucket/prefix`; the key part may be empty (the whole bucket). The key is taken
 * exactly: nothing is trimmed or decoded, since `a ` and `a` are two objects. A URI that names
 * an object version (`?versionId=`) is refused rather than read as a key that matches nothing.
 */
export function parseS3Uri(uri: string): S3Location {
  const location = parseExact(uri);
  const version = VERSION_QUALIFIED.exec(location.key);
  if (version) {
    throw new ConfigError(
      `${JSON.stringify(uri)} names an object version; this command acts on current versions: give ${JSON.stringify(`s3://${location.bucket}/${version[1]}`)}. ${LITERAL_KEY_HINT}`,
    );
  }
  return location;
}

/** Parses `s3://bucket/key` where a key is required (a single object). */
export function parseS3ObjectUri(uri: string): S3Location {
  const location = parseExact(uri);
  if (location.key === '') {
    throw new ConfigError(`${JSON.stringify(uri)} names a bucket, not an object (expected s3://BUCKET/KEY)`);
  }
  const version = VERSION_QUALIFIED.exec(location.key);
  if (version) {
    throw new ConfigError(
      `${JSON.stringify(uri)} names an object version: use ${JSON.stringify(`s3://${location.bucket}/${version[1]}`)} --version-id ${version[2]}. ${LITERAL_KEY_HINT}`,
    );
  }
  return location;
}

const LITERAL_KEY_HINT =
  'S3 URIs are exact keys, so a key that really ends in "?versionId=..." cannot be named here; list or act on a prefix that stops before the "?".';

/**
 * A bucket given by name (`--bucket B`): refused when it is not a valid bucket name, with a hint
 * when it was given as an S3 URI.
 */
export function parseBucketName(name: string): string {
  if (name.startsWith('s3://')) {
    throw new ConfigError(`--bucket takes a bucket name, not an S3 URI: ${JSON.stringify(name)}`);
  }
  if (!BUCKET_NAME.test(name)) throw new ConfigError(`not a valid bucket name: ${JSON.stringify(name)}`);
  return name;
}

function parseExact(uri: string): S3Location {
  const match = S3_URI.exec(uri);
  if (!match) {
    const hint = /^\s/.test(uri) ? ': it starts with whitespace, and S3 URIs are taken exactly' : '';
    throw new ConfigError(`not an S3 URI: ${JSON.stringify(uri)} (expected s3://BUCKET[/PREFIX])${hint}`);
  }
  const bucket = match[1]!;
  if (!BUCKET_NAME.test(bucket)) {
    throw new ConfigError(`not a valid bucket name: ${JSON.stringify(bucket)}`);
  }
  return { bucket, key: match[2] ?? '' };
}

export function formatS3Uri({ bucket, key }: S3Location): string {
  return `s3://${bucket}/${key}`;
}

/**
 * An S3 URI for people to read: quoted and escaped (JSON string syntax) when the key holds
 * control characters or leading or trailing whitespace, which would otherwise be invisible or
 * rewrite the terminal line, and shown as is otherwise.
 */
export function displayS3Uri(location: S3Location): string {
  const uri = formatS3Uri(location);
  return NEEDS_QUOTING.test(uri) ? JSON.stringify(uri) : uri;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const NEEDS_QUOTING = /[\u0000-\u001f\u007f]|\s$/;
