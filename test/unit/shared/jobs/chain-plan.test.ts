import { describe, expect, it } from 'vitest';
import { planChainPage } from '../../../../shared/jobs/chain-plan.js';
import type { ScanChain } from '../../../../shared/jobs/messages.js';
import { SCAN_CREDIT } from '../../../../shared/runs/scan-chains.js';
import { compareKeys, findSplitPoint, inRange } from '../../../../shared/s3/key-range.js';
import { keySpace, ODD_KEYS } from '../../../helpers/key-space.js';

/**
 * Runs a whole listing by chains over an in-memory key space, taking queued pages in a random
 * order (as SQS delivers them), and returns every key each page covered.
 */
async function enumerate(
  keys: string[],
  options: { budget: number; pageSize: number; prefix?: string; seed?: number },
) {
  const prefix = options.prefix ?? '';
  const space = keySpace(keys, prefix);
  let seed = options.seed ?? 1;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const queue: Array<{ chain: ScanChain; page: number }> = [
    { chain: { id: '0', credit: SCAN_CREDIT, budget: options.budget }, page: 1 },
  ];
  const covered: string[] = [];
  const chains = new Set<string>();
  let returned = 0;
  let pages = 0;
  while (queue.length > 0) {
    const { chain, page } = queue.splice(Math.floor(random() * queue.length), 1)[0]!;
    chains.add(chain.id);
    pages += 1;
    const listed = space.list(chain.after, options.pageSize);
    const probe = async (startAfter: string) => {
      const first = space.list(startAfter, 1).keys[0];
      return first !== undefined && inRange(first, { until: chain.until });
    };
    const plan = await planChainPage(chain, page, listed, (last) => findSplitPoint(probe, last, prefix));
    const range = { after: chain.after, until: plan.lastKey ?? chain.until };
    covered.push(...listed.keys.filter((k) => inRange(k, range)));
    returned += plan.returned;
    if (plan.next) queue.push({ chain: plan.next, page: page + 1 });
    if (plan.split) queue.push({ chain: plan.split, page: 1 });
  }
  return { space, covered, chains, returned, pages };
}

function assorted(n: number): string[] {
  const keys: string[] = [...ODD_KEYS];
  const tops = ['alpha/', 'beta/deep/er/', 'logs/2024-', 'z/', '', 'Ünï/'];
  for (let i = 0; i < n; i++) {
    const top = tops[i % tops.length];
    keys.push(`${top}${String((i * 7919) % n).padStart(5, '0')}${i % 11 === 0 ? ' ' : ''}`);
  }
  return keys;
}

describe('listing chains', () => {
  it('enumerate every key exactly once, in any order of pages, and give back all the credit', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const budget of [1, 4, 16]) {
        const { space, covered, returned, chains } = await enumerate(assorted(2000), {
          budget,
          pageSize: 37,
          seed,
        });
        expect([...covered].sort(compareKeys)).toEqual(space.sorted);
        expect(returned).toBe(SCAN_CREDIT);
        expect(chains.size).toBeLessThanOrEqual(budget);
      }
    }
  });

  it('grow with the bucket: a bucket of one page stays one chain, a large one uses the budget', async () => {
    expect((await enumerate(assorted(20), { budget: 16, pageSize: 100 })).chains.size).toBe(1);
    const large = await enumerate(assorted(5000), { budget: 16, pageSize: 50 });
    expect(large.chains.size).toBeGreaterThanOrEqual(8);
  });

  it('stay under the run prefix, odd keys included', async () => {
    const keys = [...assorted(500), ...ODD_KEYS.map((k) => `p/${k}`), 'p', 'p/', 'q/x'];
    const { space, covered, returned } = await enumerate(keys, { budget: 8, pageSize: 7, prefix: 'p/' });
    expect(space.sorted).toContain('p/');
    expect([...covered].sort(compareKeys)).toEqual(space.sorted);
    expect(covered.every((k) => k.startsWith('p/'))).toBe(true);
    expect(returned).toBe(SCAN_CREDIT);
  });

  it('a page past the end of its range ends the chain and returns all its credit', async () => {
    const plan = await planChainPage(
      { id: '0.3', after: 'b', until: 'd', credit: 40, budget: 2 },
      2,
      { keys: ['c', 'd', 'e'], truncated: true },
      async () => 'never',
    );
    expect(plan).toEqual({ returned: 40 });
  });

  it('a split hands the upper part, half the credit and half the budget to a new chain', async () => {
    const plan = await planChainPage(
      { id: '0', credit: 101, budget: 5 },
      3,
      { keys: ['a', 'b'], truncated: true },
      async (last) => (last === 'b' ? 'm' : undefined),
    );
    expect(plan).toEqual({
      lastKey: 'b',
      next: { id: '0', after: 'b', until: 'm', credit: 50, budget: 3 },
      split: { id: '0.3', after: 'm', credit: 50, budget: 2 },
      returned: 1,
    });
  });
});
