import { createHash } from 'node:crypto';
import type { ListedPage } from '../s3/list-objects.js';
import type { ScanChain } from './messages.js';

/** The delimiter a delimited chain lists with: S3's conventional folder separator. */
export const CHAIN_DELIMITER = '/';

/** What one listed page of a chain queues, decided once (docs/large-buckets.md, "Listing chains"). */
export interface ChainPagePlan {
  /** The chain's next page, when the listing goes on. */
  nextToken?: string;
  /** A chain of its own for each common prefix of a delimited page. */
  children: ScanChain[];
  /**
   * The chain's whole prefix fits one page listed without the delimiter: that page holds every key
   * below it, and no child chain is queued (a small bucket is one page, not a chain per folder).
   */
  flat?: true;
}

/**
 * Whether a chain's page is listed without the delimiter first: the first page of a delimited
 * chain, which would otherwise fan out into a chain per folder. When that flat page ends the
 * listing the whole prefix fits one page ({@link flatPlan}); otherwise the page is listed again
 * with the delimiter (docs/large-buckets.md, "Listing chains").
 */
export function listsFlatFirst(chain: ScanChain, page: number): boolean {
  return chain.delimited && page === 1;
}

/** The plan of a prefix whose flat listing ended on its first page: that page, no child chain. */
export function flatPlan(): ChainPagePlan {
  return { children: [], flat: true };
}

/**
 * A chain's identity in page markers: the same prefix always has the same id, so a prefix queued
 * twice (a redelivered page) is still listed once. Hashed: a key of 1,024 bytes would not fit a
 * DynamoDB sort key beside the page number.
 */
export function chainIdOf(prefix: string): string {
  return createHash('sha256').update(prefix).digest('hex').slice(0, 20);
}

/** The run's first chain: its whole prefix, fanned out by delimiter when more than one chain is wanted. */
export function firstChain(prefix: string, budget: number): ScanChain {
  return { prefix, delimited: budget > 1, budget };
}

/**
 * Plans a chain's page from its listing. Common prefixes partition the keys below a delimited
 * chain's level, so giving each its own chain lists every key exactly once, with no key range
 * arithmetic (S3 and emulators agree on prefixes and continuation tokens; an emulator may compare
 * `StartAfter` with URL-encoded keys). A child fans out further while its share of the budget is
 * at least two; otherwise it lists its prefix whole, page after page.
 */
export function planChainPage(
  chain: ScanChain,
  listed: Pick<ListedPage, 'commonPrefixes' | 'nextContinuationToken'>,
): ChainPagePlan {
  const prefixes = chain.delimited ? listed.commonPrefixes : [];
  const share = Math.max(1, Math.floor(chain.budget / Math.max(1, prefixes.length)));
  return {
    ...(listed.nextContinuationToken !== undefined ? { nextToken: listed.nextContinuationToken } : {}),
    children: prefixes.map((prefix) => ({ prefix, delimited: share > 1, budget: share })),
  };
}
