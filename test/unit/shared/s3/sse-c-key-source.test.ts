import { randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../shared/config.js';
import { ConfigError } from '../../../../shared/errors.js';
import { SseCustomerKey } from '../../../../shared/s3/sse-c-key.js';
import { provideSseCustomerKey, workerSseCustomerKey } from '../../../../shared/s3/sse-c-key-source.js';

/** A KMS client whose Decrypt answers `plaintext`, recording each request's input. */
function decryptingKms(answer: Uint8Array | Error) {
  const calls: Record<string, unknown>[] = [];
  const kms = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  kms.middlewareStack.add(
    (_next, context) => async (args) => {
      expect(context.commandName).toBe('DecryptCommand');
      calls.push(args.input as Record<string, unknown>);
      if (answer instanceof Error) throw answer;
      return { output: { $metadata: {}, Plaintext: answer }, response: {} };
    },
    { step: 'initialize', name: 'answerLocally' },
  );
  return { kms, calls };
}

afterEach(() => provideSseCustomerKey(undefined));

describe('the SSE-C key workers use', () => {
  it('is none by default', async () => {
    const { kms, calls } = decryptingKms(randomBytes(32));
    expect(await workerSseCustomerKey(loadConfig({}), kms)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('decrypts S3SEAL_SSE_C_KEY_CIPHERTEXT with KMS, and zeroes the plaintext KMS returned', async () => {
    const bytes = randomBytes(32);
    const plaintext = Buffer.from(bytes);
    const { kms, calls } = decryptingKms(plaintext);
    const blob = randomBytes(150);
    const config = loadConfig({ S3SEAL_SSE_C_KEY_CIPHERTEXT: blob.toString('base64') });
    const key = await workerSseCustomerKey(config, kms);
    expect(key?.md5).toBe(new SseCustomerKey(bytes).md5);
    expect(Buffer.from(calls[0]!.CiphertextBlob as Uint8Array)).toEqual(blob);
    expect(calls[0]!.EncryptionContext).toEqual({ purpose: 's3-seal-sse-c-key' });
    expect(plaintext.every((b) => b === 0)).toBe(true);
  });

  it('prefers a key provided in-process (encrypt --local, worker) over the deployment’s', async () => {
    const provided = new SseCustomerKey(randomBytes(32));
    provideSseCustomerKey(provided);
    const { kms, calls } = decryptingKms(randomBytes(32));
    const config = loadConfig({ S3SEAL_SSE_C_KEY_CIPHERTEXT: randomBytes(64).toString('base64') });
    expect(await workerSseCustomerKey(config, kms)).toBe(provided);
    expect(calls).toEqual([]);
  });

  it('refuses a decrypted value that is not a 32-byte key, without showing it', async () => {
    const { kms } = decryptingKms(Buffer.from('sixteen byte key'));
    const config = loadConfig({ S3SEAL_SSE_C_KEY_CIPHERTEXT: randomBytes(64).toString('base64') });
    const error = await workerSseCustomerKey(config, kms).catch((e: Error) => e);
    expect(String(error)).toMatch(/S3SEAL_SSE_C_KEY_CIPHERTEXT/);
    expect(String(error)).not.toContain('sixteen');
  });

  it('refuses a ciphertext setting that is not base64 at start', () => {
    expect(() => loadConfig({ S3SEAL_SSE_C_KEY_CIPHERTEXT: 'not base64!' })).toThrow(ConfigError);
    expect(() => loadConfig({ S3SEAL_SSE_C_KEY_CIPHERTEXT: 'not base64!' })).toThrow(
      /S3SEAL_SSE_C_KEY_CIPHERTEXT/,
    );
  });
});
