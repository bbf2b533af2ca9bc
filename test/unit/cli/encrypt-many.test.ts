import { afterEach, describe, expect, it, vi } from 'vitest';
import { announceTargets } from '../../../cli/encrypt-many.js';

const plan = { targets: [{ bucket: 'a', key: '' }], skipped: [] };
const KEY = 'arn:aws:kms:us-east-1:000000000000:key/k';

function announced(options: Parameters<typeof announceTargets>[1]): string {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
  announceTargets(plan, options, { tags: [] });
  return lines.join('\n');
}

describe('encrypt over several buckets: the announcement before --yes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sse-kms says that objects under other KMS keys are re-keyed, and how to keep them', () => {
    expect(announced({ mode: 'sse-kms', key: KEY })).toContain(
      'objects under other KMS keys: re-keyed onto the key, each source key recorded; applications that decrypt only with their own key then break (--other-kms-keys leave keeps them)',
    );
    expect(announced({ mode: 'sse-kms', key: KEY, otherKmsKeys: 'leave' })).toContain(
      'objects under other KMS keys: left where they are (--other-kms-keys leave)',
    );
  });

  it('envelope mode says what it does to readers', () => {
    expect(announced({ mode: 'envelope', key: KEY })).toContain(
      'readers: envelope mode encrypts client-side; afterwards only an S3 Encryption Client reads these objects',
    );
    expect(announced({ mode: 'sse-s3' })).not.toContain('readers:');
  });
});
