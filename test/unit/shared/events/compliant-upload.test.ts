import { describe, expect, it } from 'vitest';
import { checkUpload } from '../../../../shared/events/compliant-upload.js';
import type { ProtectionPolicy } from '../../../../shared/policy.js';
import { decryptingKms, envelopeMetadata, headingS3 } from '../../../helpers/event-clients.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const OTHER = 'arn:aws:kms:us-east-1:111122223333:key/22222222-2222-2222-2222-222222222222';
const config = { useUpdateObjectEncryption: false };
const sseKms: ProtectionPolicy = { mode: 'sse-kms', keyArn: KEY };
const envelope: ProtectionPolicy = { mode: 'envelope', keyArn: KEY };

describe('checkUpload: is the uploaded object already as its watch wants it?', () => {
  it('says compliant after one HEAD for an object under the policy key (our own write’s echo)', async () => {
    const s3 = headingS3({ k: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY } });
    const kms = decryptingKms('ok');
    const check = await checkUpload({ s3: s3.client, kms: kms.client, config }, 'b', 'k', sseKms);
    expect(check).toMatchObject({ compliant: true, detail: 'aws:kms under the policy key' });
    expect(s3.sent).toEqual(['HeadObjectCommand']);
    expect(kms.calls).toEqual([]);
  });

  it('says compliant for an upload encrypted when written (bucket default SSE-S3) in sse-s3 mode', async () => {
    const s3 = headingS3({ k: { ServerSideEncryption: 'AES256' } });
    const check = await checkUpload({ s3: s3.client, kms: decryptingKms('ok').client, config }, 'b', 'k', {
      mode: 'sse-s3',
    });
    expect(check.compliant).toBe(true);
  });

  it('names the write a plaintext upload needs, with the HEAD it saw', async () => {
    const s3 = headingS3({ k: { ContentLength: 42 } });
    const check = await checkUpload(
      { s3: s3.client, kms: decryptingKms('ok').client, config },
      'b',
      'k',
      sseKms,
    );
    expect(check).toMatchObject({ compliant: false, method: 'copy-in-place', head: { size: 42 } });
  });

  it('is not compliant for an object under another KMS key, whether it is re-keyed or left', async () => {
    const s3 = headingS3({ k: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: OTHER } });
    const deps = { s3: s3.client, kms: decryptingKms('ok').client, config };
    expect(await checkUpload(deps, 'b', 'k', sseKms)).toMatchObject({ compliant: false, method: 'rekey' });
    const left = await checkUpload(deps, 'b', 'k', { ...sseKms, otherKmsKeys: 'leave' });
    // A skip decision: recorded by the event's chunk, with no write.
    expect(left.compliant).toBe(false);
    expect(left).not.toHaveProperty('method');
  });

  it('is not compliant for a deleted object: its chunk records the skip', async () => {
    const check = await checkUpload(
      { s3: headingS3({}).client, kms: decryptingKms('ok').client, config },
      'b',
      'gone',
      sseKms,
    );
    expect(check).toEqual({ compliant: false, head: undefined });
  });

  it('asks KMS whether a readable envelope is under the watch key, naming the key', async () => {
    const s3 = headingS3({ k: { Metadata: envelopeMetadata() } });
    const kms = decryptingKms('ok');
    const check = await checkUpload({ s3: s3.client, kms: kms.client, config }, 'b', 'k', envelope);
    expect(check).toMatchObject({ compliant: true, detail: 'client-side envelope (S3EC v3)' });
    expect(kms.calls).toHaveLength(1);
    expect(kms.calls[0]).toMatchObject({ KeyId: KEY });
  });

  it('leaves an envelope under another key to its chunk, which records the skip', async () => {
    const s3 = headingS3({ k: { Metadata: envelopeMetadata() } });
    const kms = decryptingKms('IncorrectKeyException');
    const check = await checkUpload({ s3: s3.client, kms: kms.client, config }, 'b', 'k', envelope);
    expect(check.compliant).toBe(false);
  });

  it('never asks KMS about a plaintext upload in envelope mode: it needs a write', async () => {
    const kms = decryptingKms('ok');
    const check = await checkUpload(
      { s3: headingS3({ k: {} }).client, kms: kms.client, config },
      'b',
      'k',
      envelope,
    );
    expect(check).toMatchObject({ compliant: false, method: 'envelope' });
    expect(kms.calls).toEqual([]);
  });
});
