import { randomBytes } from 'node:crypto';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { headObject } from '../../../../shared/s3/object-head.js';
import { SseCustomerKey } from '../../../../shared/s3/sse-c-key.js';

/** What S3 sends for a HEAD error: no body, so the SDK knows only the status (name `Unknown`). */
function bareError(status: number, name = 'Unknown') {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message: 'UnknownError',
  });
}

/** An S3 client whose HEADs answer from `answers` in order, recording each request's input. */
function headClient(answers: Array<Error | Record<string, unknown>>) {
  const calls: Record<string, unknown>[] = [];
  const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  s3.middlewareStack.add(
    (_next, context) => async (args) => {
      expect(context.commandName).toBe('HeadObjectCommand');
      calls.push(args.input as Record<string, unknown>);
      const answer = answers.shift();
      if (!answer) throw new Error('unexpected request');
      if (answer instanceof Error) throw answer;
      return { output: { $metadata: {}, ...answer }, response: {} };
    },
    { step: 'initialize', name: 'answerLocally' },
  );
  return { s3, calls };
}

describe('headObject and SSE-C', () => {
  it('confirms a bare 400 as SSE-C with a random key (403) and reports it, readable or not', async () => {
    const { s3, calls } = headClient([bareError(400), bareError(403)]);
    const head = await headObject(s3, 'b', 'k');
    expect(head).toMatchObject({ bucket: 'b', key: 'k', sseCustomerAlgorithm: 'AES256', metadata: {} });
    expect(head?.sseCustomerKeyMatches).toBeUndefined();
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual({ Bucket: 'b', Key: 'k' });
    expect(calls[1]).toMatchObject({ Bucket: 'b', Key: 'k', SSECustomerAlgorithm: 'AES256' });
    expect(String(calls[1]!.SSECustomerKey)).toHaveLength(44);
  });

  it('rethrows the first error when the confirming HEAD says the object is not SSE-C (400)', async () => {
    const first = bareError(400);
    const { s3 } = headClient([first, bareError(400)]);
    await expect(headObject(s3, 'b', 'k')).rejects.toBe(first);
  });

  it('does not probe on errors other than 400', async () => {
    const denied = bareError(403, 'Forbidden');
    const { s3, calls } = headClient([denied]);
    await expect(headObject(s3, 'b', 'k')).rejects.toBe(denied);
    expect(calls).toHaveLength(1);
  });

  it('opens an SSE-C object with the migration key: full head, key matches', async () => {
    const key = new SseCustomerKey(randomBytes(32));
    const { s3, calls } = headClient([
      bareError(400),
      {
        ETag: '"e1"',
        ContentLength: 11,
        ContentType: 'text/plain',
        Metadata: { owner: 'alice' },
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKeyMD5: key.md5,
      },
    ]);
    const head = await headObject(s3, 'b', 'k', { sseCustomerKey: key });
    expect(head).toMatchObject({
      etag: '"e1"',
      size: 11,
      metadata: { owner: 'alice' },
      headers: { ContentType: 'text/plain' },
      sseCustomerAlgorithm: 'AES256',
      sseCustomerKeyMatches: true,
    });
    expect(calls[1]).toEqual({ Bucket: 'b', Key: 'k', ...key.params() });
  });

  it('reports a migration key S3 refuses (403) as not matching', async () => {
    const key = new SseCustomerKey(randomBytes(32));
    const { s3 } = headClient([bareError(400), bareError(403)]);
    expect(await headObject(s3, 'b', 'k', { sseCustomerKey: key })).toMatchObject({
      sseCustomerAlgorithm: 'AES256',
      sseCustomerKeyMatches: false,
    });
  });

  it('never sends the migration key to an object that answers a plain HEAD', async () => {
    const key = new SseCustomerKey(randomBytes(32));
    const { s3, calls } = headClient([{ ETag: '"e"', ContentLength: 1 }]);
    const head = await headObject(s3, 'b', 'k', { sseCustomerKey: key });
    expect(head?.sseCustomerAlgorithm).toBeUndefined();
    expect(calls).toEqual([{ Bucket: 'b', Key: 'k' }]);
  });

  it('never reports a random probe key as opening the object, even if an endpoint answers 200', async () => {
    const { s3 } = headClient([bareError(400), { ETag: '"e"', ContentLength: 1 }]);
    const head = await headObject(s3, 'b', 'k');
    expect(head?.sseCustomerAlgorithm).toBe('AES256');
    expect(head?.sseCustomerKeyMatches).toBeUndefined();
  });

  it('treats an object deleted between the two HEADs as missing', async () => {
    const { s3 } = headClient([bareError(400), bareError(404, 'NotFound')]);
    expect(await headObject(s3, 'b', 'k')).toBeUndefined();
  });
});
