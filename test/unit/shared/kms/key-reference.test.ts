import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../shared/errors.js';
import { isKeyArn, parseKeyReference } from '../../../../shared/kms/key-reference.js';

describe('parseKeyReference', () => {
  it.each([
    ['1234abcd-12ab-34cd-56ef-1234567890ab', 'key-id'],
    ['mrk-1234abcd12ab34cd56ef1234567890ab', 'key-id'],
    ['arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'key-arn'],
    ['arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab', 'key-arn'],
    ['alias/my-key', 'alias-name'],
    ['alias/team/data_key-1', 'alias-name'],
    ['arn:aws:kms:us-east-1:111122223333:alias/my-key', 'alias-arn'],
  ])('accepts %s as a %s', (input, kind) => {
    expect(parseKeyReference(input)).toEqual({ kind, value: input });
  });

  it.each([
    '',
    'foo',
    'alias/',
    'arn:aws:kms:us-east-1:123:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws:kms:us-east-1:111122223333:key/not-a-key-id',
    'arn:aws:s3:::my-bucket',
  ])('rejects %j with a ConfigError naming it', (input) => {
    expect(() => parseKeyReference(input)).toThrow(ConfigError);
    expect(() => parseKeyReference(input)).toThrow(`"${input}"`);
  });

  it('tells key ARNs from alias ARNs', () => {
    expect(isKeyArn('arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')).toBe(
      true,
    );
    expect(isKeyArn('arn:aws:kms:us-east-1:111122223333:alias/x')).toBe(false);
  });
});
