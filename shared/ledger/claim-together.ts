import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import type { ClaimInput, ClaimResult } from './ledger.js';
import { claimUpdate, objectPartitionKey, unmarshallItem } from './ledger-updates.js';

/** Transactions tried for one group before the claims left are sent one by one. */
const MAX_ROUNDS = 4;

type Claim = { input: ClaimInput; now: Date };

/**
 * Claims the jobs of one group in one TransactWriteItems (docs/architecture.md, "Batch-first
 * storage"). A transaction is all or nothing, so when it is cancelled each claim learns its own
 * fate from the cancellation reasons: a failed condition is that claim's answer (DynamoDB returns
 * the item that refused it, as a lone claim gets), and the claims that did not fail go again
 * together. A claim that meets a conflict, or is left after a few rounds, is sent alone
 * (`claimAlone`), as are lone claims, which learn whether their item is new.
 */
export async function claimTogether(
  client: DynamoDBDocumentClient,
  tableName: string,
  claims: Claim[],
  claimAlone: (claim: Claim) => Promise<ClaimResult>,
): Promise<ClaimResult[]> {
  const results: Array<ClaimResult | undefined> = Array.from({ length: claims.length });
  let pending = claims.map((_, i) => i);
  for (let round = 1; pending.length > 1 && round <= MAX_ROUNDS; round++) {
    // One transaction may not name an item twice: a second claim on one object waits a round
    // (and then finds the first one's claim).
    const seen = new Set<string>();
    const now: number[] = [];
    const later: number[] = [];
    for (const i of pending) {
      const { input } = claims[i]!;
      const item = `${objectPartitionKey(input.bucket, input.key)}\n${input.operation}`;
      (seen.has(item) ? later : now).push(i);
      seen.add(item);
    }
    if (now.length < 2) break;
    const retry = await claimRound(client, tableName, claims, now, results);
    pending = [...retry, ...later];
    if (retry.length > 0) await sleep(Math.random() * 10 * round);
  }
  // Alone: a group of one, conflicts, and whatever rounds did not settle.
  const left = results.map((r, i) => (r ? -1 : i)).filter((i) => i >= 0);
  await Promise.all(
    left.map(async (i) => {
      results[i] = await claimAlone(claims[i]!);
    }),
  );
  return results as ClaimResult[];
}

/** One transaction over `indexes`; sets the results it settles and returns the claims to retry. */
async function claimRound(
  client: DynamoDBDocumentClient,
  tableName: string,
  claims: Claim[],
  indexes: number[],
  results: Array<ClaimResult | undefined>,
): Promise<number[]> {
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: indexes.map((i) => ({
          Update: {
            ...claimUpdate(tableName, claims[i]!.input, claims[i]!.now),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        })),
      }),
    );
  } catch (error) {
    const reasons = transactionCancellation(error);
    // Anything but a cancellation (throttling past the SDK's retries, a network error): each claim
    // goes alone, and throws alone if the error persists.
    if (!reasons) return [];
    const retry: number[] = [];
    indexes.forEach((i, at) => {
      const reason = reasons[at];
      if (reason?.Code === 'ConditionalCheckFailed') {
        results[i] = { claimed: false, existing: unmarshallItem(reason.Item) };
      } else if (!reason?.Code || reason.Code === 'None') {
        retry.push(i);
      }
      // Any other code (a conflict with another transaction): left unset, so it goes alone.
    });
    return retry;
  }
  // Claimed. Whether each item is new is unknown here: the audit append reads its anchor.
  for (const i of indexes) results[i] = { claimed: true };
  return [];
}
