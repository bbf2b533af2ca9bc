import type { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { encryptionContextFor, toObjectMetadata } from '../../../../shared/envelope/format.js';
import { verifyEnvelopeKey } from '../../../../shared/jobs/envelope-key.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const lastModified = new Date('2026-01-02T03:04:05Z');
const head: ObjectHead = {
  bucket: 'b',
  key: 'k',
  etag: '"etag-1"',
  size: 10,
  lastModified,
  headers: {},
  metadata: toObjectMetadata({
    format: 'v3',
    wrappedKey: Buffer.from('wrapped'),
    messageId: Buffer.alloc(28, 1),
    commitment: Buffer.alloc(28, 2),
    encryptionContext: encryptionContextFor('v3'),
  }),
};

/** A KMS client whose Decrypt answers with `outcome`, recording what it was asked. */
function kms(outcome: 'ok' | string) {
  const calls: Array<Record<string, unknown>> = [];
  const plaintext = Buffer.alloc(32, 9);
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      calls.push(command.input);
      if (outcome === 'ok') return { Plaintext: plaintext, KeyId: KEY, $metadata: {} };
      throw Object.assign(new Error(outcome), { name: outcome });
    },
  } as unknown as KMSClient;
  return { client, calls, plaintext };
}

describe('envelope mode: is a readable envelope under the policy key?', () => {
  it('asks KMS Decrypt naming the key and zeroes the data key', async () => {
    const k = kms('ok');
    expect(await verifyEnvelopeKey({ kms: k.client }, head, KEY)).toEqual({ compliant: true });
    expect(k.calls).toHaveLength(1);
    expect(k.calls[0]).toMatchObject({ KeyId: KEY, EncryptionContext: { 'aws:x-amz-cek-alg': '115' } });
    expect(k.plaintext.every((byte) => byte === 0)).toBe(true);
  });

  it.each([
    ['IncorrectKeyException', 'wrapped-under-another-key'],
    ['InvalidCiphertextException', 'malformed-envelope'],
    ['AccessDeniedException', 'envelope-key-unusable'],
    ['KMSInvalidStateException', 'envelope-key-unusable'],
  ])('KMS %s: not compliant, skipped as %s', async (error, reason) => {
    const verdict = await verifyEnvelopeKey({ kms: kms(error).client }, head, KEY);
    expect(verdict).toMatchObject({ compliant: false, reason });
  });

  it('passes a throttle on, for the queue to retry', async () => {
    await expect(verifyEnvelopeKey({ kms: kms('ThrottlingException').client }, head, KEY)).rejects.toThrow();
  });
});
