import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { ConfigError } from '../errors.js';

/** SSE-C keys are AES-256 keys: exactly 32 bytes (S3 User Guide, "Using SSE-C"). */
export const SSE_C_KEY_BYTES = 32;

/**
 * The encryption context a deployment's KMS-encrypted key blob is under. Decrypt must name it, and
 * the encrypt role may decrypt only with it (deploy/iam.ts), so that role cannot use the KMS key to
 * decrypt anything else (docs/deploying.md, "SSE-C migration").
 */
export const SSE_C_KEY_CONTEXT = { purpose: 's3-seal-sse-c-key' } as const;

/** The request parameters that name a customer key on HEAD, GET and the copy target. */
export interface SseCustomerKeyParams {
  SSECustomerAlgorithm: 'AES256';
  SSECustomerKey: string;
  SSECustomerKeyMD5: string;
}

/** The same key named as the source of CopyObject and UploadPartCopy. */
export interface CopySourceSseCustomerKeyParams {
  CopySourceSSECustomerAlgorithm: 'AES256';
  CopySourceSSECustomerKey: string;
  CopySourceSSECustomerKeyMD5: string;
}

/**
 * A customer-provided SSE-C key, held only in memory. Its `md5` (base64 MD5 of the key bytes) is
 * the fingerprint S3 itself uses and returns, so it may travel in queue messages and logs; the key
 * never does: JSON and `util.inspect` show the fingerprint only. {@link destroy} zeroes the bytes.
 */
export class SseCustomerKey {
  readonly md5: string;
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== SSE_C_KEY_BYTES) {
      throw new ConfigError(`an SSE-C key is ${SSE_C_KEY_BYTES} bytes (AES-256); this one is ${key.length}`);
    }
    this.#key = Buffer.from(key);
    this.md5 = sseCustomerKeyMd5(this.#key);
  }

  /** A random key no object was written with: S3 answers 403 with it on an SSE-C object. */
  static random(): SseCustomerKey {
    return new SseCustomerKey(randomBytes(SSE_C_KEY_BYTES));
  }

  params(): SseCustomerKeyParams {
    return {
      SSECustomerAlgorithm: 'AES256',
      SSECustomerKey: this.#key.toString('base64'),
      SSECustomerKeyMD5: this.md5,
    };
  }

  copySourceParams(): CopySourceSseCustomerKeyParams {
    return {
      CopySourceSSECustomerAlgorithm: 'AES256',
      CopySourceSSECustomerKey: this.#key.toString('base64'),
      CopySourceSSECustomerKeyMD5: this.md5,
    };
  }

  /** Zeroes the key bytes; the object is unusable afterwards. */
  destroy(): void {
    this.#key.fill(0);
  }

  toJSON(): { md5: string } {
    return { md5: this.md5 };
  }

  [inspect.custom](): string {
    return `SseCustomerKey(md5 ${this.md5})`;
  }
}

/** The base64 MD5 of a key's bytes: what S3 expects in, and returns as, `x-amz-…-customer-key-MD5`. */
export function sseCustomerKeyMd5(key: Uint8Array): string {
  return createHash('md5').update(key).digest('base64');
}

/**
 * Reads a key from a key file's bytes: the 32 raw bytes, or their base64 (standard or URL-safe
 * alphabet) with optional surrounding whitespace, as `openssl rand -base64 32` writes it.
 */
export function parseSseCustomerKey(content: Uint8Array, source = 'the SSE-C key file'): SseCustomerKey {
  if (content.length === SSE_C_KEY_BYTES) return new SseCustomerKey(content);
  const text = Buffer.from(content).toString('latin1').trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && text.length % 4 !== 1) {
    const decoded = Buffer.from(text, 'base64');
    try {
      if (decoded.length === SSE_C_KEY_BYTES) return new SseCustomerKey(decoded);
    } finally {
      decoded.fill(0);
    }
  }
  throw new ConfigError(
    `${source} must hold a 32-byte AES-256 key, raw or base64 (it holds ${content.length} bytes that are neither)`,
  );
}

/** Loads a key file; the buffer read is zeroed once the key holds its own copy. */
export async function loadSseCustomerKeyFile(path: string): Promise<SseCustomerKey> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    throw new ConfigError(`cannot read the SSE-C key file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return parseSseCustomerKey(content, `the SSE-C key file ${path}`);
  } finally {
    content.fill(0);
  }
}
