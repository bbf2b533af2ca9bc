import { describe, expect, it } from 'vitest';
import {
  chainIdOf,
  firstChain,
  flatPlan,
  listsFlatFirst,
  planChainPage,
} from '../../../../shared/jobs/chain-plan.js';
import type { ScanChain } from '../../../../shared/jobs/messages.js';
import { assortedKeys, keySpace, ODD_KEYS, sortedKeys } from '../../../helpers/key-space.js';

/**
 * Runs a whole listing by chains over an in-memory bucket, taking queued pages in a random order
 * (as SQS delivers them), counting pending pages as the run store does, and returns every key
 * listed and every chain used.
 */
function enumerate(
  keys: string[],
  options: { budget: number; pageSize: number; prefix?: string; seed?: number },
) {
  const prefix = options.prefix ?? '';
  const space = keySpace(keys);
  let seed = options.seed ?? 1;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const queue: Array<{ chain: ScanChain; page: number; token?: string }> = [
    { chain: firstChain(prefix, options.budget), page: 1 },
  ];
  const listed: string[] = [];
  const chains = new Set<string>();
  let pending = 0;
  while (queue.length > 0) {
    expect(pending === 0 && chains.size > 0).toBe(false);
    const { chain, page, token } = queue.splice(Math.floor(random() * queue.length), 1)[0]!;
    chains.add(chainIdOf(chain.prefix));
    const out = space.list({
      prefix: chain.prefix,
      delimiter: chain.delimited ? '/' : undefined,
      maxKeys: options.pageSize,
      continuationToken: token,
    });
    const plan = planChainPage(chain, out);
    const first = page === 1 && chain.prefix === prefix;
    pending += (plan.nextToken ? 1 : 0) + plan.children.length + (first ? 1 : 0);
    listed.push(...out.objects.map((o) => o.key));
    if (plan.nextToken) queue.push({ chain, page: page + 1, token: plan.nextToken });
    for (const child of plan.children) queue.push({ chain: child, page: 1 });
    pending -= 1;
  }
  expect(pending).toBe(0);
  return { expected: space.sorted.filter((k) => k.startsWith(prefix)), listed, chains };
}

describe('listing chains', () => {
  it('list every key exactly once, in any order of pages, with odd keys and prefixes', () => {
    for (const seed of [1, 2, 3]) {
      for (const budget of [1, 4, 16, 1024]) {
        const { expected, listed, chains } = enumerate(assortedKeys(1500), { budget, pageSize: 37, seed });
        expect(sortedKeys(listed)).toEqual(expected);
        if (budget === 1) expect(chains.size).toBe(1);
        else expect(chains.size).toBeGreaterThan(1);
      }
    }
  });

  it('stay under the run prefix', () => {
    const keys = [...assortedKeys(300), ...ODD_KEYS.map((k) => `p/${k}`), 'p', 'p/', 'q/x', 'p0'];
    const { expected, listed } = enumerate(keys, { budget: 8, pageSize: 7, prefix: 'p/' });
    expect(expected).toContain('p/');
    expect(sortedKeys(listed)).toEqual(expected);
  });

  it('grow with the bucket: a flat bucket is one chain, one with more folders has more chains', () => {
    expect(
      enumerate(
        Array.from({ length: 500 }, (_, i) => `flat-${i}`),
        { budget: 16, pageSize: 50 },
      ).chains.size,
    ).toBe(1);
    const small = enumerate(assortedKeys(200), { budget: 64, pageSize: 50 }).chains.size;
    const folders = (n: number) => Array.from({ length: n }, (_, i) => `f${i % 40}/g${i % 7}/k${i}`);
    const large = enumerate(folders(4000), { budget: 64, pageSize: 50 }).chains.size;
    expect(large).toBeGreaterThan(small);
    expect(large).toBeGreaterThanOrEqual(40);
  });

  it('shares the budget among common prefixes: a child fans out further only with a share of two or more', () => {
    const plan = planChainPage(
      { prefix: 'p/', delimited: true, budget: 5 },
      { commonPrefixes: ['p/a/', 'p/b/'], nextContinuationToken: 't' },
    );
    expect(plan).toEqual({
      nextToken: 't',
      children: [
        { prefix: 'p/a/', delimited: true, budget: 2 },
        { prefix: 'p/b/', delimited: true, budget: 2 },
      ],
    });
    const many = planChainPage(
      { prefix: '', delimited: true, budget: 4 },
      { commonPrefixes: ['a/', 'b/', 'c/', 'd/', 'e/'] },
    );
    expect(many.children.every((c) => !c.delimited && c.budget === 1)).toBe(true);
    expect(planChainPage({ prefix: '', delimited: false, budget: 1 }, { commonPrefixes: [] })).toEqual({
      children: [],
    });
  });

  it('names a chain by its prefix, so the same prefix queued twice is listed once', () => {
    expect(chainIdOf('a\r/')).toBe(chainIdOf('a\r/'));
    expect(chainIdOf('a\r/')).not.toBe(chainIdOf('a\n/'));
    expect(chainIdOf('x'.repeat(1024))).toHaveLength(20);
  });
});

describe('listsFlatFirst', () => {
  const delimited = { prefix: 'p/', delimited: true, budget: 8 };

  it('lists flat first only the first page of a delimited chain (one that may fan out)', () => {
    expect(listsFlatFirst(delimited, 1)).toBe(true);
    expect(listsFlatFirst(delimited, 2)).toBe(false);
    expect(listsFlatFirst({ ...delimited, delimited: false }, 1)).toBe(false);
    expect(flatPlan()).toEqual({ children: [], flat: true });
  });
});
