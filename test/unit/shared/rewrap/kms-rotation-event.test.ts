import { describe, expect, it } from 'vitest';
import { parseRotationEvent } from '../../../../shared/rewrap/kms-rotation-event.js';

// The documented shape (AWS KMS Developer Guide, "KMS CMK Rotation" EventBridge event).
const documented = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'KMS CMK Rotation',
  source: 'aws.kms',
  account: '111122223333',
  time: '2016-08-25T21:05:33Z',
  region: 'us-west-2',
  resources: ['arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
  detail: { 'key-id': '1234abcd-12ab-34cd-56ef-1234567890ab' },
};

describe('parseRotationEvent', () => {
  it('takes the key ARN from resources and normalises the time to the ledger format', () => {
    expect(parseRotationEvent(documented)).toEqual({
      keyArn: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      // Same width as the ledger's wrappedAt, so string comparison orders them correctly.
      rotatedAt: '2016-08-25T21:05:33.000Z',
    });
  });

  it('builds the ARN from account and region when resources is empty, and ignores unknown fields', () => {
    const event = {
      ...documented,
      resources: [],
      detail: { ...documented.detail, 'rotation-type': 'ON_DEMAND' },
    };
    expect(parseRotationEvent(event).keyArn).toBe(documented.resources[0]);
  });

  it.each([
    ['another source', { ...documented, source: 'aws.s3' }, /source/],
    ['another detail type', { ...documented, 'detail-type': 'KMS CMK Deletion' }, /detail-type/],
    ['no key id', { ...documented, detail: {} }, /detail\.key-id/],
    ['a bad time', { ...documented, time: 'yesterday' }, /time/],
    ['not an object', 'rotate!', /\(root\)/],
  ])('refuses %s, naming the field', (_label, event, message) => {
    expect(() => parseRotationEvent(event)).toThrow(message);
  });
});
