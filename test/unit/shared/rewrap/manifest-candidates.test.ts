import { describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../../../shared/manifests/manifest-entry.js';
import {
  candidatesByBucket,
  isCandidate,
  WRAP_TIME_SLACK_MS,
} from '../../../../shared/rewrap/manifest-candidates.js';

const CUT_OFF = '2026-04-01T00:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(CUT_OFF) + ms).toISOString();

describe('manifest candidates of a re-wrap plan', () => {
  it('keeps the plan bucket and prefix only', () => {
    const filter = { bucket: 'a', prefix: 'logs/' };
    expect(isCandidate({ bucket: 'a', key: 'logs/1' }, filter)).toBe(true);
    expect(isCandidate({ bucket: 'b', key: 'logs/1' }, filter)).toBe(false);
    expect(isCandidate({ bucket: 'a', key: 'data/1' }, filter)).toBe(false);
    expect(isCandidate({ bucket: 'b', key: 'x' }, { prefix: '' })).toBe(true);
  });

  it('keeps entries wrapped before the cut-off, with the slack a record time needs, and undated ones', () => {
    const filter = { prefix: '', wrappedBefore: CUT_OFF };
    expect(isCandidate({ bucket: 'a', key: 'k', wrappedAt: at(-1) }, filter)).toBe(true);
    expect(isCandidate({ bucket: 'a', key: 'k', wrappedAt: at(WRAP_TIME_SLACK_MS - 1) }, filter)).toBe(true);
    expect(isCandidate({ bucket: 'a', key: 'k', wrappedAt: at(WRAP_TIME_SLACK_MS) }, filter)).toBe(false);
    expect(isCandidate({ bucket: 'a', key: 'k', seenAt: at(WRAP_TIME_SLACK_MS + 1) }, filter)).toBe(false);
    expect(isCandidate({ bucket: 'a', key: 'k' }, filter)).toBe(true);
  });

  it('groups intents by bucket in manifest order, once per object, carrying version, ETag and size', () => {
    const entries: ManifestEntry[] = [
      { bucket: 'a', key: 'k1', versionId: 'v1', etag: '"e1"', size: 5 },
      { bucket: 'b', key: 'k1' },
      { bucket: 'a', key: 'k2' },
      { bucket: 'a', key: 'k1', etag: '"older"' },
    ];
    const seen = new Set<string>(['b/k1']);
    const groups = candidatesByBucket(entries, { prefix: '' }, seen);
    expect([...groups]).toEqual([
      ['a', [{ key: 'k1', versionId: 'v1', etag: '"e1"', size: 5 }, { key: 'k2' }]],
    ]);
    expect(seen).toEqual(new Set(['b/k1', 'a/k1', 'a/k2']));
  });
});
