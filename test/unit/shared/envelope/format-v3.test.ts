import { describe, expect, it } from 'vitest';
import {
  classifyClientSide,
  type EnvelopeV3,
  encryptionContextFor,
  META_V3,
  parseObjectMetadata,
  toObjectMetadata,
  userMetadataOf,
} from '../../../../shared/envelope/format.js';
import { EnvelopeFormatError, UnsupportedEnvelopeError } from '../../../../shared/errors.js';

const envelope: EnvelopeV3 = {
  format: 'v3',
  wrappedKey: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
  messageId: Buffer.alloc(28, 0xab),
  commitment: Buffer.alloc(28, 0xcd),
  encryptionContext: encryptionContextFor('v3'),
};
const good = toObjectMetadata(envelope);

describe('S3EC V3 object metadata (content-metadata.md, "V3 Only")', () => {
  it('writes exactly the six kms+context entries an official v4 client writes', () => {
    expect(good).toEqual({
      'x-amz-c': '115',
      'x-amz-3': 'AQIDBAUGBwgJCgsMDQ4PEA==',
      'x-amz-w': '12',
      'x-amz-t': '{"aws:x-amz-cek-alg":"115"}',
      'x-amz-d': Buffer.alloc(28, 0xcd).toString('base64'),
      'x-amz-i': Buffer.alloc(28, 0xab).toString('base64'),
    });
  });

  it('round-trips through parse', () => {
    const parsed = parseObjectMetadata(good) as EnvelopeV3;
    expect(parsed.format).toBe('v3');
    expect(Buffer.from(parsed.messageId)).toEqual(Buffer.alloc(28, 0xab));
    expect(Buffer.from(parsed.commitment)).toEqual(Buffer.alloc(28, 0xcd));
    expect(parsed.encryptionContext).toEqual({ 'aws:x-amz-cek-alg': '115' });
  });

  it.each([
    ['a 12-byte message id', { [META_V3.messageId]: Buffer.alloc(12).toString('base64') }, /28 bytes/],
    ['a short commitment', { [META_V3.keyCommitment]: Buffer.alloc(16).toString('base64') }, /28 bytes/],
    ['no commitment', { [META_V3.keyCommitment]: undefined }, /x-amz-d is missing/],
    [
      'a context naming the V2 algorithm',
      { [META_V3.encryptionContext]: '{"aws:x-amz-cek-alg":"AES/GCM/NoPadding"}' },
      /does not match/,
    ],
    ['no encryption context', { [META_V3.encryptionContext]: undefined }, /x-amz-t is missing/],
  ])('calls %s malformed', (_label, change, message) => {
    const metadata = { ...good, ...change } as Record<string, string>;
    const state = classifyClientSide(metadata);
    expect(state.kind).toBe('malformed');
    expect(() => parseObjectMetadata(metadata)).toThrow(message);
  });

  it.each([
    ['the raw AES/GCM wrapping (02)', { [META_V3.wrapAlgorithm]: '02' }, /x-amz-w "02"/],
    ['the RSA-OAEP wrapping (22)', { [META_V3.wrapAlgorithm]: '22' }, /x-amz-w "22"/],
    ['another suite', { [META_V3.contentCipher]: '114' }, /x-amz-c "114"/],
    [
      'its data key in an instruction file',
      {
        [META_V3.wrappedKey]: undefined,
        [META_V3.wrapAlgorithm]: undefined,
        [META_V3.encryptionContext]: undefined,
      },
      /instruction file/,
    ],
  ])('calls %s a format it does not read', (_label, change, message) => {
    const metadata = Object.fromEntries(
      Object.entries({ ...good, ...change }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    expect(classifyClientSide(metadata)).toEqual({
      kind: 'unreadable',
      detail: expect.stringMatching(message),
    });
    expect(() => parseObjectMetadata(metadata)).toThrow(UnsupportedEnvelopeError);
  });
});

describe('classifying client-side encryption', () => {
  const v2 = { 'x-amz-key-v2': 'AQID', 'x-amz-iv': 'AAAAAAAAAAAAAAAA' };
  it.each([
    ['no S3EC entry', { owner: 'alice', 'x-amz-custom': 'x' }, 'none'],
    ['a V3 envelope', good, 'readable'],
    [
      'V1 (x-amz-key)',
      { 'x-amz-key': 'AQID', 'x-amz-iv': 'AAAAAAAAAAAAAAAA', 'x-amz-matdesc': '{}' },
      'unreadable',
    ],
    ['V3 entries written over by a V2 envelope', { ...good, ...v2 }, 'unreadable'],
    ['V1 and V2 together', { 'x-amz-key': 'AQID', ...v2 }, 'unreadable'],
    ['an IV alone', { 'x-amz-iv': 'AAAAAAAAAAAAAAAA' }, 'malformed'],
    ['a V2 wrapped key without its other entries', { 'x-amz-key-v2': 'AQID' }, 'malformed'],
    ['a lone V3 marker', { 'x-amz-d': 'AQID' }, 'malformed'],
  ])('%s: %s', (_label, metadata, kind) => {
    expect(classifyClientSide(metadata as Record<string, string>).kind).toBe(kind);
  });

  it('keeps the user’s metadata and drops every S3EC entry', () => {
    expect(userMetadataOf({ ...good, 'x-amz-key-v2': 'x', owner: 'alice', 'x-amz-iv': 'y' })).toEqual({
      owner: 'alice',
    });
  });

  it('never throws on a malformed envelope, it classifies it', () => {
    expect(() => classifyClientSide({ 'x-amz-3': '%%%', 'x-amz-c': '115' })).not.toThrow(EnvelopeFormatError);
  });
});
