import { describe, expect, it } from 'vitest';
import {
  type EnvelopeV2,
  encryptionContextFor,
  envelopeFormatOf,
  META,
  parseObjectMetadata,
  toObjectMetadata,
} from '../../../../shared/envelope/format.js';
import { EnvelopeFormatError, UnsupportedEnvelopeError } from '../../../../shared/errors.js';

const wrappedKey = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
const iv = Buffer.from('000102030405060708090a0b', 'hex');
const envelope: EnvelopeV2 = {
  format: 'v2',
  wrappedKey,
  iv,
  encryptionContext: encryptionContextFor('v2'),
  plaintextLength: 1234,
};

describe('S3EC V2 object metadata', () => {
  it('writes exactly the seven kms+context entries the official clients read', () => {
    expect(toObjectMetadata(envelope)).toEqual({
      'x-amz-key-v2': 'AQIDBAUGBwgJCgsMDQ4PEA==',
      'x-amz-iv': 'AAECAwQFBgcICQoL',
      'x-amz-cek-alg': 'AES/GCM/NoPadding',
      'x-amz-tag-len': '128',
      'x-amz-wrap-alg': 'kms+context',
      'x-amz-matdesc': '{"aws:x-amz-cek-alg":"AES/GCM/NoPadding"}',
      'x-amz-unencrypted-content-length': '1234',
    });
  });

  it('round-trips through parse', () => {
    const parsed = parseObjectMetadata(toObjectMetadata(envelope)) as EnvelopeV2;
    expect(parsed.format).toBe('v2');
    expect(Buffer.from(parsed.wrappedKey)).toEqual(wrappedKey);
    expect(Buffer.from(parsed.iv)).toEqual(iv);
    expect(parsed.encryptionContext).toEqual({ 'aws:x-amz-cek-alg': 'AES/GCM/NoPadding' });
    expect(parsed.plaintextLength).toBe(1234);
  });

  it('keeps custom encryption-context pairs beside the reserved one', () => {
    expect(encryptionContextFor('v2', { team: 'data' })).toEqual({
      team: 'data',
      'aws:x-amz-cek-alg': 'AES/GCM/NoPadding',
    });
    expect(() => encryptionContextFor('v3', { 'aws:x-amz-cek-alg': 'x' })).toThrow(EnvelopeFormatError);
  });

  const good = toObjectMetadata(envelope);
  it.each([
    ['a wrapped key that is not base64', { [META.wrappedKey]: 'not base64!' }, /not base64/],
    ['an 11-byte IV', { [META.iv]: Buffer.alloc(11).toString('base64') }, /12 bytes/],
    [
      'a materials description that is not JSON',
      { [META.materialsDescription]: '{nope' },
      /not a JSON object/,
    ],
    [
      'a materials description naming another algorithm',
      { [META.materialsDescription]: '{"aws:x-amz-cek-alg":"AES/CTR/NoPadding"}' },
      /does not match/,
    ],
    ['a missing wrapped key', { [META.wrappedKey]: undefined }, /without a wrapped data key/],
    ['a missing IV', { [META.iv]: undefined }, /x-amz-iv is missing/],
  ])('refuses %s', (_label, change, message) => {
    const metadata = { ...good, ...change } as Record<string, string>;
    expect(() => parseObjectMetadata(metadata)).toThrow(EnvelopeFormatError);
    expect(() => parseObjectMetadata(metadata)).toThrow(message);
  });

  it.each([
    ['another wrapping algorithm', { [META.wrapAlgorithm]: 'AESWrap' }, /x-amz-wrap-alg/],
    ['another content algorithm', { [META.cekAlgorithm]: 'AES/CBC/PKCS5Padding' }, /x-amz-cek-alg/],
    ['another tag length', { [META.tagLength]: '96' }, /x-amz-tag-len/],
  ])('calls %s a format it does not read (not malformed)', (_label, change, message) => {
    const metadata = { ...good, ...change } as Record<string, string>;
    expect(() => parseObjectMetadata(metadata)).toThrow(UnsupportedEnvelopeError);
    expect(() => parseObjectMetadata(metadata)).toThrow(message);
  });

  it('refuses the V1 format rather than misreading it', () => {
    expect(() => parseObjectMetadata({ 'x-amz-key': 'abc', 'x-amz-iv': 'x' })).toThrow(/V1/);
  });

  it('names the format of readable envelopes only', () => {
    expect(envelopeFormatOf(good)).toBe('v2');
    expect(envelopeFormatOf({ 'x-amz-key': 'abc' })).toBeUndefined();
    expect(envelopeFormatOf({ owner: 'alice' })).toBeUndefined();
    expect(envelopeFormatOf(undefined)).toBeUndefined();
  });
});
