import { PermanentError } from '../errors.js';
import { inRange } from '../s3/key-range.js';
import type { ScanChain } from './messages.js';

/** What one listed page of a chain queues next, decided once (docs/large-buckets.md, "Listing chains"). */
export interface ChainPagePlan {
  /** The last key this page covers; absent when the page ends its chain (it covers the rest). */
  lastKey?: string;
  /** The chain's next page: the rest of its range, or the lower part when it splits. */
  next?: ScanChain;
  /** A new chain: the upper part of the rest of the range. */
  split?: ScanChain;
  /** The credit the page gives back when it is recorded. */
  returned: number;
}

/** One page as listed from the chain's `after`: keys in S3's order, and whether more follow. */
export interface ListedKeys {
  keys: string[];
  truncated: boolean;
}

/**
 * Plans a chain's page from its listing. A page that reaches the end of the listing or passes the
 * chain's `until` ends the chain and returns all its credit. Otherwise the page keeps one unit of
 * credit and passes the rest on; while the chain's budget allows, it also splits the rest of its
 * range at the point `findSplit` finds, giving the upper part and half its credit and budget to a
 * new chain. The two parts meet exactly at that point, so no key is in both and none in neither.
 */
export async function planChainPage(
  chain: ScanChain,
  page: number,
  listed: ListedKeys,
  findSplit: (last: string) => Promise<string | undefined>,
): Promise<ChainPagePlan> {
  const covered = listed.keys.filter((key) => inRange(key, chain));
  const passedEnd = covered.length < listed.keys.length;
  const last = covered.at(-1);
  if (!listed.truncated || passedEnd || last === undefined) return { returned: chain.credit };

  const credit = chain.credit - 1;
  if (credit < 1) {
    // 2^52 credit split at most log2(budget) times lasts far beyond any bucket S3 can hold.
    throw new PermanentError(`chain ${chain.id} ran out of scan credit at page ${page}`);
  }
  const point = chain.budget > 1 && credit >= 2 ? await findSplit(last) : undefined;
  if (point === undefined) return { lastKey: last, next: { ...chain, after: last, credit }, returned: 1 };

  const childBudget = Math.floor(chain.budget / 2);
  const childCredit = Math.floor(credit / 2);
  return {
    lastKey: last,
    next: {
      id: chain.id,
      after: last,
      until: point,
      credit: credit - childCredit,
      budget: chain.budget - childBudget,
    },
    split: {
      id: `${chain.id}.${page}`,
      after: point,
      ...(chain.until !== undefined ? { until: chain.until } : {}),
      credit: childCredit,
      budget: childBudget,
    },
    returned: 1,
  };
}
