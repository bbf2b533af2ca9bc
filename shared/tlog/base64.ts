import { TlogFormatError } from './errors.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard base64 (RFC 4648 section 4) strictly, as the C2SP formats require: Node's own
 * decoder silently skips characters outside the alphabet, which would let altered text pass.
 */
export function decodeBase64(text: string, what: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (!BASE64.test(text) || bytes.toString('base64') !== text) {
    throw new TlogFormatError(`${what} is not standard base64: "${text}"`);
  }
  return new Uint8Array(bytes);
}

/** Encodes standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
