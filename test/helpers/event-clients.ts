import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { encryptionContextFor, toObjectMetadata } from '../../shared/envelope/format.js';

/** HeadObject output fields a test sets: those the compliance decision reads. */
export interface FakeHead {
  ETag?: string;
  ContentLength?: number;
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  Metadata?: Record<string, string>;
}

/**
 * An S3 client answering HeadObject from `objects` (a missing key: 404), recording each command by
 * name; any other command fails the test.
 */
export function headingS3(objects: Record<string, FakeHead>) {
  const sent: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: { Key: string } }) => {
      sent.push(command.constructor.name);
      if (command.constructor.name !== 'HeadObjectCommand')
        throw new Error(`unexpected ${command.constructor.name}`);
      const head = objects[command.input.Key];
      if (!head)
        throw Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
      return { ETag: '"e"', ContentLength: 5, ...head, $metadata: {} };
    },
  } as unknown as S3Client;
  return { client, sent };
}

/** A KMS client whose Decrypt answers with `outcome` (`ok` or an error name), counting calls. */
export function decryptingKms(outcome: 'ok' | string) {
  const calls: Array<Record<string, unknown>> = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      calls.push(command.input);
      if (outcome === 'ok') return { Plaintext: Buffer.alloc(32, 9), $metadata: {} };
      throw Object.assign(new Error(outcome), { name: outcome });
    },
  } as unknown as KMSClient;
  return { client, calls };
}

/** The metadata of a readable V3 envelope. */
export function envelopeMetadata(): Record<string, string> {
  return toObjectMetadata({
    format: 'v3',
    wrappedKey: Buffer.from('wrapped'),
    messageId: Buffer.alloc(28, 1),
    commitment: Buffer.alloc(28, 2),
    encryptionContext: encryptionContextFor('v3'),
  });
}
