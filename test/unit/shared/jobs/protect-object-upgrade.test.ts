import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { sealContent } from '../../../../shared/envelope/content-cipher.js';
import { encryptionContextFor, toObjectMetadata } from '../../../../shared/envelope/format.js';
import { openObject } from '../../../../shared/envelope/open-object.js';
import { EnvelopeAuthenticationError } from '../../../../shared/errors.js';
import { protectObject } from '../../../../shared/jobs/protect-object.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';
import { answeringS3 } from '../../../helpers/answering-s3.js';

/*
 * Issue 24, items 1 and 2, without the network: an upgrade (V2 -> V3) whose old envelope fails
 * authentication, at sizes that fit in the decipher's stream buffers, and one whose old envelope
 * carries custom encryption-context pairs.
 */

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/k';
const CUSTOM = { department: 'finance' };
const KiB = 1024;

/** A V2 object as an application wrote it: ciphertext || tag, and its S3EC metadata. */
async function v2Object(size: number, options: { tamper?: boolean } = {}) {
  const dataKey = randomBytes(32);
  const { envelope, cipher } = sealContent(dataKey, {
    format: 'v2',
    wrappedKey: randomBytes(40),
    encryptionContext: encryptionContextFor('v2', CUSTOM),
    nonce: randomBytes(12),
    plaintextLength: size,
  });
  cipher.end(randomBytes(size));
  const body = Buffer.concat(await cipher.toArray());
  if (options.tamper) body[Math.floor(size / 2)]! ^= 0x01;
  return { dataKey, body, metadata: toObjectMetadata(envelope) };
}
type V2Object = Awaited<ReturnType<typeof v2Object>>;

/** S3 holding one object: GET returns it, PUT is recorded. */
function s3Holding(object: V2Object) {
  return answeringS3((request) => {
    if (request.method === 'GET') {
      const meta = Object.fromEntries(
        Object.entries(object.metadata).map(([n, v]) => [`x-amz-meta-${n}`, v]),
      );
      return {
        headers: { ...meta, etag: '"e1"', 'content-length': String(object.body.length) },
        body: object.body,
      };
    }
    return { headers: { etag: '"e2"' } };
  });
}

/** KMS that unwraps the object's key under its exact context and generates new keys slowly. */
function fakeKms(object: V2Object) {
  const generatedUnder: Array<Record<string, string>> = [];
  const kms = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const context = command.input.EncryptionContext as Record<string, string>;
      if (command.constructor.name === 'DecryptCommand') {
        expect(context).toEqual(encryptionContextFor('v2', CUSTOM));
        return { Plaintext: Buffer.from(object.dataKey), KeyId: KEY_ARN, $metadata: {} };
      }
      generatedUnder.push(context);
      // Slower than reading a small body to its end: the old tag is checked meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { Plaintext: randomBytes(32), CiphertextBlob: randomBytes(40), KeyId: KEY_ARN, $metadata: {} };
    },
  } as unknown as KMSClient;
  return { kms, generatedUnder };
}

const head = (size: number) =>
  ({ bucket: 'b', key: 'k', etag: '"e1"', size, metadata: {}, headers: {} }) as unknown as ObjectHead;

const upgrade = (s3: ReturnType<typeof s3Holding>['s3'], kms: KMSClient, size: number) =>
  protectObject(
    {
      s3,
      kms,
      config: {
        multipartThresholdBytes: 5 * 1024 * KiB,
        copyMultipartThresholdBytes: 5 * 1024 * KiB,
        copyPartSizeBytes: 5 * 1024 * KiB,
      },
    },
    head(size),
    { mode: 'envelope', keyArn: KEY_ARN, upgradeFormat: true },
    'upgrade-format',
    randomBytes(28),
    () => undefined,
  );

describe('openObject over an altered body', () => {
  it.each([1, 100, 12 * KiB])('keeps the failure for a reader that comes late (%i bytes)', async (size) => {
    const object = await v2Object(size, { tamper: true });
    const opened = await openObject({ s3: s3Holding(object).s3, kms: fakeKms(object).kms }, 'b', 'k');
    // The body is read to its end while nobody reads the plaintext: no unhandled 'error' event.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(pipeline(opened.plaintext, new PassThrough().resume())).rejects.toBeInstanceOf(
      EnvelopeAuthenticationError,
    );
  });
});

describe('protectObject upgrade-format', () => {
  it.each([
    1,
    100,
    12 * KiB,
    16 * KiB,
    64 * KiB + 1,
  ])('fails with EnvelopeAuthenticationError and writes nothing when the old body was altered (%i bytes)', async (size) => {
    const object = await v2Object(size, { tamper: true });
    const { s3, sent } = s3Holding(object);
    await expect(upgrade(s3, fakeKms(object).kms, size)).rejects.toBeInstanceOf(EnvelopeAuthenticationError);
    expect(sent.map((r) => r.method)).toEqual(['GET']);
  });

  it('generates the new data key under the old custom pairs and writes them to x-amz-t', async () => {
    const object = await v2Object(3000);
    const { s3, sent } = s3Holding(object);
    const { kms, generatedUnder } = fakeKms(object);
    await upgrade(s3, kms, 3000);
    expect(generatedUnder).toEqual([{ department: 'finance', 'aws:x-amz-cek-alg': '115' }]);
    expect(sent.map((r) => r.method)).toEqual(['GET', 'PUT']);
  });
});
