import { describe, expect, it } from 'vitest';
import { kindOf } from '../../../bench/dynamo-footprint.js';

describe('kindOf', () => {
  it('names a key by its text before the first #, and a bare hex id (a chunk id) as <id>', () => {
    expect(kindOf({ S: 'chunks#run-1#07' })).toBe('chunks');
    expect(kindOf({ S: 'tally#03' })).toBe('tally');
    expect(kindOf({ S: '0123456789abcdef01234567' })).toBe('<id>');
    expect(kindOf({ S: 'run' })).toBe('run');
    expect(kindOf(undefined)).toBe('?');
  });
});
