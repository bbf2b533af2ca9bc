import { DecryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { classifyAwsError } from '../aws-errors.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { SSE_C_KEY_BYTES, SSE_C_KEY_CONTEXT, SseCustomerKey } from './sse-c-key.js';

let provided: SseCustomerKey | undefined;

/**
 * Hands a customer key loaded in this process (`encrypt --local --sse-c-key-file`, `worker
 * --sse-c-key-file`) to the encrypt handlers this process runs. Call before the first job runs:
 * handlers build their dependencies once.
 */
export function provideSseCustomerKey(key: SseCustomerKey | undefined): void {
  provided = key;
}

/**
 * The customer key this process's encrypt workers migrate SSE-C objects with: the one provided
 * in-process, else the deployment's KMS-encrypted key (`S3SEAL_SSE_C_KEY_CIPHERTEXT`), decrypted
 * once per cold start. Queue messages carry only the key's fingerprint, never the key.
 */
export async function workerSseCustomerKey(
  config: Pick<Config, 'sseCustomerKeyCiphertext'>,
  kms: KMSClient,
): Promise<SseCustomerKey | undefined> {
  if (provided) return provided;
  if (!config.sseCustomerKeyCiphertext) return undefined;
  let plaintext: Uint8Array | undefined;
  try {
    const out = await kms
      .send(
        new DecryptCommand({
          CiphertextBlob: Buffer.from(config.sseCustomerKeyCiphertext, 'base64'),
          EncryptionContext: { ...SSE_C_KEY_CONTEXT },
        }),
      )
      .catch((error) => {
        throw classifyAwsError(error, 'cannot decrypt S3SEAL_SSE_C_KEY_CIPHERTEXT with KMS');
      });
    plaintext = out.Plaintext ?? new Uint8Array();
    if (plaintext.length !== SSE_C_KEY_BYTES) {
      throw new ConfigError(
        `S3SEAL_SSE_C_KEY_CIPHERTEXT decrypts to ${plaintext.length} bytes; an SSE-C key is ${SSE_C_KEY_BYTES}`,
      );
    }
    return new SseCustomerKey(plaintext);
  } finally {
    plaintext?.fill(0);
  }
}
