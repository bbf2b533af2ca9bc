import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import type { ProtectionPolicy } from '../../../../shared/policy.js';
import { writeTimeChanges } from '../../../../shared/watch/write-time-controls.js';
import { answeringS3 } from '../../../helpers/answering-s3.js';

const POLICY_KEY = 'arn:aws:kms:us-east-1:000000000000:key/policy-key';
const OTHER_KEY = 'arn:aws:kms:us-east-1:000000000000:key/other-key';
const policy: ProtectionPolicy = { mode: 'sse-kms', keyArn: POLICY_KEY };
// Key ARNs resolve without a KMS call; a request would fail on this unreachable endpoint.
const kms = new KMSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });

const defaultXml = (algorithm: string, key: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${algorithm}</SSEAlgorithm><KMSMasterKeyID>${key}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`;

const input = {
  bucket: 'b',
  prefix: '',
  suffix: '',
  policy,
  defaultEncryption: true,
  denyUnencrypted: false,
};

describe('writeTimeChanges: bucket default encryption', () => {
  it('keeps a DSSE-KMS default dual-layer when it moves it to the policy key (never a downgrade)', async () => {
    const { s3, sent } = answeringS3(() => ({ body: defaultXml('aws:kms:dsse', OTHER_KEY) }));
    const changes = await writeTimeChanges({ s3, kms }, input);
    expect(changes.map((c) => [c.control, c.from, c.to])).toEqual([
      [
        'default-encryption',
        `aws:kms:dsse under ${OTHER_KEY}, Bucket Key off`,
        `aws:kms:dsse under ${POLICY_KEY}, Bucket Key off (bucket-wide: every new upload to s3://b)`,
      ],
    ]);
    // Only the read so far: nothing is changed before apply().
    expect(sent.map((r) => r.method)).toEqual(['GET']);
  });

  it('keeps a DSSE-KMS default under the policy key as it is', async () => {
    const { s3 } = answeringS3(() => ({ body: defaultXml('aws:kms:dsse', POLICY_KEY) }));
    expect(await writeTimeChanges({ s3, kms }, input)).toEqual([]);
  });

  it('moves an SSE-KMS default under another key to the policy key with Bucket Key', async () => {
    const { s3 } = answeringS3(() => ({ body: defaultXml('aws:kms', OTHER_KEY) }));
    const changes = await writeTimeChanges({ s3, kms }, input);
    expect(changes.map((c) => c.to)).toEqual([
      `aws:kms under ${POLICY_KEY}, Bucket Key on (bucket-wide: every new upload to s3://b)`,
    ]);
  });
});
