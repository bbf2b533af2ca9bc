import { describe, expect, it } from 'vitest';
import { claimTogether } from '../../../../shared/ledger/claim-together.js';
import type { ClaimInput, ClaimResult } from '../../../../shared/ledger/ledger.js';
import { fakeTransactions } from '../../../helpers/fake-transactions.js';

const claim = (key: string): { input: ClaimInput; now: Date } => ({
  input: {
    bucket: 'b',
    key,
    operation: 'encrypt',
    runId: 'run-1',
    jobId: `job-${key}`,
    owner: `owner-${key}`,
    leaseSeconds: 960,
    sourceEtag: `"etag-${key}"`,
    mode: 'sse-kms',
    method: 'copy-in-place',
  },
  now: new Date('2026-11-23T10:00:00Z'),
});

function alone() {
  const calls: string[] = [];
  const fn = async (c: { input: ClaimInput }): Promise<ClaimResult> => {
    calls.push(c.input.key);
    return { claimed: true, firstClaim: true };
  };
  return { calls, fn };
}

describe('claimTogether', () => {
  it('claims a batch in one transaction, each claim conditional on its own item', async () => {
    const { client, sent } = fakeTransactions(['ok']);
    const single = alone();
    const results = await claimTogether(client, 'ledger', ['a', 'b', 'c'].map(claim), single.fn);
    expect(results).toEqual([{ claimed: true }, { claimed: true }, { claimed: true }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map((i) => i.Update!.Key)).toEqual(
      ['a', 'b', 'c'].map((k) => ({ pk: `obj#b/${k}`, sk: 'encrypt' })),
    );
    expect(sent[0]![0]!.Update!.ConditionExpression).toContain('attribute_not_exists(pk)');
    expect(sent[0]![0]!.Update!.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(single.calls).toEqual([]);
  });

  it('gives a refused claim the item that refused it, and claims the others in a second round', async () => {
    const held = { pk: 'obj#b/b', sk: 'encrypt', state: 'IN_PROGRESS', owner: 'someone', runId: 'run-1' };
    const { client, sent } = fakeTransactions([
      () => [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: held }, { Code: 'None' }],
      'ok',
    ]);
    const single = alone();
    const results = await claimTogether(client, 'ledger', ['a', 'b', 'c'].map(claim), single.fn);
    expect(results[0]).toEqual({ claimed: true });
    expect(results[1]).toEqual({ claimed: false, existing: held });
    expect(results[2]).toEqual({ claimed: true });
    expect(sent.map((items) => items.length)).toEqual([3, 2]);
    expect(single.calls).toEqual([]);
  });

  it('never names one item twice in a transaction: the second claim on an object goes after', async () => {
    const { client, sent } = fakeTransactions(['ok']);
    const single = alone();
    const results = await claimTogether(client, 'ledger', [claim('a'), claim('b'), claim('a')], single.fn);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map((i) => (i.Update!.Key as { pk: string }).pk)).toEqual(['obj#b/a', 'obj#b/b']);
    // Left alone, it meets the first claim's condition there.
    expect(single.calls).toEqual(['a']);
    expect(results).toHaveLength(3);
    expect(results.every((r) => r !== undefined)).toBe(true);
  });

  it('sends claims that met a conflicting transaction alone, and one claim alone at once', async () => {
    const { client, sent } = fakeTransactions([
      () => [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }],
      'ok',
    ]);
    const single = alone();
    const results = await claimTogether(client, 'ledger', [claim('a'), claim('b'), claim('c')], single.fn);
    expect(single.calls).toEqual(['a']);
    expect(results[0]).toEqual({ claimed: true, firstClaim: true });
    expect(results.slice(1)).toEqual([{ claimed: true }, { claimed: true }]);
    expect(sent.map((items) => items.length)).toEqual([3, 2]);

    const lone = alone();
    await claimTogether(fakeTransactions([]).client, 'ledger', [claim('z')], lone.fn);
    expect(lone.calls).toEqual(['z']);
  });
});
