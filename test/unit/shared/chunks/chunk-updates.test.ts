import { describe, expect, it } from 'vitest';
import { chunkItemOf } from '../../../../shared/chunks/chunk-item.js';
import { chunkItemKey } from '../../../../shared/chunks/chunk-item-key.js';
import {
  claimUpdate,
  doneUpdate,
  giveBackUpdate,
  MAX_ERROR_CHARS,
} from '../../../../shared/chunks/chunk-updates.js';
import { uploadAttributeOf } from '../../../../shared/chunks/upload-attribute.js';

const ref = { runId: '20300101T000000-ab#cd', chunkId: '0000002a0000000000000000' };
const now = new Date('2030-01-01T00:00:00.000Z');
const claim = { ...ref, owner: 'w1', leaseSeconds: 60, membership: 'm' };

describe('claimUpdate', () => {
  it('takes only a new, given-back or expired chunk of the same membership', () => {
    const update = claimUpdate('t', claim, now, 'aa');
    expect(update.ConditionExpression).toBe(
      '(attribute_not_exists(pk) OR #state = :retry OR (#state = :inProgress AND #lease < :now)) ' +
        'AND (attribute_not_exists(#membership) OR #membership = :membership)',
    );
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':now': now.getTime(),
      ':lease': now.getTime() + 60_000,
      ':salt': ['aa'],
    });
    expect(update.UpdateExpression).not.toContain('expiresAt');
    expect(update.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('sets the TTL attribute in epoch seconds only for a chunk kept a while', () => {
    const update = claimUpdate('t', { ...claim, ttlSeconds: 100 }, now, 'aa');
    expect(update.UpdateExpression).toContain('#expiresAt = :expiresAt');
    expect(update.ExpressionAttributeValues![':expiresAt']).toBe(now.getTime() / 1000 + 100);
  });
});

describe('doneUpdate and giveBackUpdate', () => {
  it('commits only for the owner in progress, dropping the working state, key ARNs once each', () => {
    const commit = {
      log: { key: 'k', sha256: 's' },
      records: [],
      keyArns: ['b', 'a', 'b'],
      uploadKeys: ['x', 'x', 'y'],
    };
    const update = doneUpdate('t', ref, 'w1', commit, now);
    expect(update.ConditionExpression).toBe('#owner = :owner AND #state = :inProgress');
    expect(update.UpdateExpression).toContain('REMOVE #owner, #lease, #error, #u0, #u1');
    expect((update.ExpressionAttributeNames as Record<string, string>)['#u1']).toBe(uploadAttributeOf('y'));
    expect(update.ExpressionAttributeValues[':keyArns']).toEqual(['a', 'b']);
  });

  it("starts an event chunk's TTL again at its commit, after its log was written", () => {
    const commit = { log: { key: 'k', sha256: 's' }, records: [], keyArns: [], ttlSeconds: 86_400 };
    const update = doneUpdate('t', ref, 'w1', commit, now);
    expect(update.UpdateExpression).toContain(', #expiresAt = :expiresAt REMOVE');
    expect(update.ExpressionAttributeNames['#expiresAt']).toBe('expiresAt');
    expect(update.ExpressionAttributeValues[':expiresAt']).toBe(Math.floor(now.getTime() / 1000) + 86_400);
    // Other chunks are kept: no TTL.
    const kept = doneUpdate('t', ref, 'w1', { ...commit, ttlSeconds: undefined }, now);
    expect(kept.UpdateExpression).not.toContain('expiresAt');
  });

  it('gives back with the lease removed and a long error cut', () => {
    const update = giveBackUpdate('t', ref, 'w1', 'x'.repeat(2000), now);
    expect(update.UpdateExpression).toContain('REMOVE #lease');
    expect((update.ExpressionAttributeValues![':error'] as string).length).toBe(MAX_ERROR_CHARS);
  });
});

describe('chunkItemOf', () => {
  it('reads the run and chunk ids back from the key, a run id holding # included', () => {
    const item = chunkItemOf({
      ...chunkItemKey(ref),
      state: 'DONE',
      attempt: 2,
      membership: 'm',
      salts: ['a', 'b'],
      firstClaimedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      records: 3,
    });
    expect(item).toEqual({
      ...ref,
      state: 'DONE',
      attempt: 2,
      membership: 'm',
      salts: ['a', 'b'],
      firstClaimedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      records: 3,
    });
  });
});
