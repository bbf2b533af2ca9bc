import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../deploy/config.js';
import { FUNCTIONS, functionStatements } from '../../../deploy/iam.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111';
const BLOB_KEY = 'arn:aws:kms:us-east-1:111122223333:key/44444444-4444-4444-8444-444444444444';
const buckets = [{ name: 'records', mode: 'sse-kms', kmsKeyArn: KEY }];
const parse = (input: object) => parseDeployConfig(input, { region: 'us-east-1', source: 'test' });

describe('the SSE-C migration key in a deployment', () => {
  it('is optional, and read as the KMS ciphertext plus the key that decrypts it', () => {
    expect(parse({ buckets }).sseC).toBeUndefined();
    expect(parse({ buckets, sseC: { keyCiphertext: 'AQIDBA==', kmsKeyArn: BLOB_KEY } }).sseC).toEqual({
      keyCiphertext: 'AQIDBA==',
      kmsKeyArn: BLOB_KEY,
    });
  });

  it('refuses a ciphertext that is not base64, an alias, and a key in another region, by field', () => {
    expect(() => parse({ buckets, sseC: { keyCiphertext: 'not base64!', kmsKeyArn: BLOB_KEY } })).toThrow(
      /sseC\.keyCiphertext: expected the base64 CiphertextBlob/,
    );
    expect(() => parse({ buckets, sseC: { keyCiphertext: 'AQID', kmsKeyArn: 'alias/k' } })).toThrow(
      /sseC\.kmsKeyArn: not a KMS key ARN/,
    );
    expect(() =>
      parse({
        buckets,
        sseC: { keyCiphertext: 'AQID', kmsKeyArn: BLOB_KEY.replace('us-east-1', 'eu-west-1') },
      }),
    ).toThrow(/sseC\.kmsKeyArn: key is in eu-west-1/);
  });

  it('lets only the encrypt role decrypt it, and only under its encryption context', () => {
    const config = parse({ buckets, sseC: { keyCiphertext: 'AQID', kmsKeyArn: BLOB_KEY } });
    for (const fn of FUNCTIONS) {
      const onBlobKey = functionStatements(fn, config, `s3-seal-prod-${fn}`).filter((s) =>
        s.Resource.includes(BLOB_KEY),
      );
      if (fn !== 'encrypt') {
        expect(onBlobKey, fn).toEqual([]);
        continue;
      }
      expect(onBlobKey).toEqual([
        {
          Sid: 'SseCustomerKeyDecrypt',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [BLOB_KEY],
          Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 's3-seal-sse-c-key' } },
        },
      ]);
    }
    const without = functionStatements('encrypt', parse({ buckets }), 's3-seal-prod-encrypt');
    expect(without.map((s) => s.Sid)).not.toContain('SseCustomerKeyDecrypt');
  });
});
