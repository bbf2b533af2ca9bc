import { PermanentError } from '../errors.js';

/**
 * Decodes a key that S3 URL-encoded the way an HTML form is: `+` is a space, and everything else
 * that is not safe in XML or JSON (a literal `+`, `%`, control characters such as `\r`, non-ASCII)
 * arrives percent-encoded as UTF-8. S3 encodes keys this way both in event notifications (S3 User
 * Guide, "Event message structure") and in listings asked for with `EncodingType=url` (S3 API,
 * ListObjectsV2); emulators that write a space as `%20` decode the same.
 *
 * @throws PermanentError when the value is not valid percent-encoded UTF-8.
 */
export function decodeFormEncodedKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replaceAll('+', ' '));
  } catch (error) {
    throw new PermanentError(
      `S3 sent a key that is not URL-encoded: ${JSON.stringify(encoded.slice(0, 80))}`,
      {
        cause: error,
      },
    );
  }
}
