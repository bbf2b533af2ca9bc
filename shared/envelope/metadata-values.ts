import { EnvelopeFormatError } from '../errors.js';

/** A metadata value the format requires: missing or empty is malformed. */
export function required(metadata: Record<string, string>, name: string): string {
  const value = metadata[name];
  if (value === undefined || value === '') {
    throw new EnvelopeFormatError(`envelope metadata ${name} is missing`);
  }
  return value;
}

// Node's base64 decoder skips what it cannot read; an envelope value must be canonical base64.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A required base64 value, decoded; not base64, or empty, is malformed. */
export function decodeBase64(metadata: Record<string, string>, name: string): Buffer {
  const value = required(metadata, name);
  if (!BASE64.test(value)) throw new EnvelopeFormatError(`${name} is not base64`);
  return Buffer.from(value, 'base64');
}

/** A required JSON object of string values: the KMS encryption context or materials description. */
export function parseContext(metadata: Record<string, string>, name: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(required(metadata, name));
  } catch (cause) {
    if (cause instanceof EnvelopeFormatError) throw cause;
    throw new EnvelopeFormatError(`${name} is not a JSON object`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EnvelopeFormatError(`${name} is not a JSON object`);
  }
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
}
