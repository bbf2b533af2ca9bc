import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';
import { moveToKmsKey } from '../../../../shared/s3/update-encryption.js';

const KEY_B = 'arn:aws:kms:eu-west-1:111122223333:key/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';

const head: ObjectHead = {
  bucket: 'b',
  key: 'reports/q1.csv',
  etag: '"e1"',
  size: 10,
  versionId: 'v1',
  serverSideEncryption: 'aws:kms',
  kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa',
  metadata: {},
  headers: {},
};

/** An S3 client that answers from `respond` instead of the network, recording every command. */
function recordingClient(respond: (command: string) => unknown) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  s3.middlewareStack.add(
    (_next, context) => async (args) => {
      const command = String(context.commandName);
      calls.push({ command, input: args.input as Record<string, unknown> });
      const answer = respond(command);
      if (answer instanceof Error) throw answer;
      return { output: { $metadata: {}, ...(answer as object) }, response: {} };
    },
    { step: 'initialize', name: 'answerLocally' },
  );
  return { s3, calls };
}

const options = { multipartThresholdBytes: 1e9, partSizeBytes: 5e6 };

describe('moveToKmsKey', () => {
  it('uses UpdateObjectEncryption pinned to the version read, keeping the ETag, and copies nothing', async () => {
    const { s3, calls } = recordingClient(() => ({}));
    const result = await moveToKmsKey(
      s3,
      head,
      { kmsKeyArn: KEY_B, bucketKeyEnabled: true },
      { ...options, useUpdateObjectEncryption: true },
    );
    expect(calls.map((c) => c.command)).toEqual(['UpdateObjectEncryptionCommand']);
    expect(calls[0]!.input).toEqual({
      Bucket: 'b',
      Key: 'reports/q1.csv',
      VersionId: 'v1',
      ObjectEncryption: { SSEKMS: { KMSKeyArn: KEY_B, BucketKeyEnabled: true } },
    });
    expect(result).toEqual({ etag: '"e1"', versionId: 'v1' });
  });

  it('falls back to a copy conditional on the ETag when the endpoint does not implement it', async () => {
    const notImplemented = new S3ServiceException({
      name: 'NotImplemented',
      $fault: 'server',
      $metadata: { httpStatusCode: 501 },
    });
    const { s3, calls } = recordingClient((command) =>
      command === 'UpdateObjectEncryptionCommand'
        ? notImplemented
        : command === 'GetObjectTaggingCommand'
          ? { TagSet: [] }
          : { CopyObjectResult: { ETag: '"e2"' } },
    );
    const result = await moveToKmsKey(
      s3,
      head,
      { kmsKeyArn: KEY_B, bucketKeyEnabled: true },
      { ...options, useUpdateObjectEncryption: true },
    );
    const copy = calls.find((c) => c.command === 'CopyObjectCommand')!;
    expect(copy.input).toMatchObject({
      CopySourceIfMatch: '"e1"',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KEY_B,
    });
    expect(result.etag).toBe('"e2"');
  });

  it('passes any other error through untouched: no copy after a refusal', async () => {
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    const { s3, calls } = recordingClient(() => denied);
    await expect(
      moveToKmsKey(
        s3,
        head,
        { kmsKeyArn: KEY_B, bucketKeyEnabled: true },
        { ...options, useUpdateObjectEncryption: true },
      ),
    ).rejects.toThrow(denied);
    expect(calls.map((c) => c.command)).toEqual(['UpdateObjectEncryptionCommand']);
  });

  it('copies directly when UpdateObjectEncryption is off', async () => {
    const { s3, calls } = recordingClient((command) =>
      command === 'GetObjectTaggingCommand' ? { TagSet: [] } : { CopyObjectResult: { ETag: '"e3"' } },
    );
    await moveToKmsKey(
      s3,
      head,
      { kmsKeyArn: KEY_B, bucketKeyEnabled: false },
      {
        ...options,
        useUpdateObjectEncryption: false,
      },
    );
    expect(calls.some((c) => c.command === 'UpdateObjectEncryptionCommand')).toBe(false);
    expect(calls.some((c) => c.command === 'CopyObjectCommand')).toBe(true);
  });
});
