import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

type Item = Record<string, unknown>;
export type Reason = { Code: string; Item?: Item };
export type TransactItem = Record<string, Record<string, unknown>>;

/** A TransactionCanceledException as the SDK throws it, with marshalled items. */
export const cancelled = (reasons: Reason[]) =>
  Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: reasons.map((r) => ({
      Code: r.Code,
      ...(r.Item ? { Item: marshall(r.Item) } : {}),
    })),
  });

/**
 * A DynamoDB document client that answers TransactWriteItems with scripted outcomes ('ok' or the
 * reasons of a cancellation, given the items sent) and BatchGetItem from `items` (by pk).
 */
export function fakeTransactions(
  outcomes: Array<'ok' | ((items: TransactItem[]) => Reason[] | 'ok')>,
  items: Item[] = [],
) {
  const sent: TransactItem[][] = [];
  const batchGets: unknown[] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      const { TransactItems, RequestItems } = command.input as {
        TransactItems?: TransactItem[];
        RequestItems?: Record<string, { Keys: Item[] }>;
      };
      if (RequestItems) {
        batchGets.push(RequestItems);
        const [table, { Keys }] = Object.entries(RequestItems)[0]!;
        const found = Keys.map((k) => items.find((i) => i.pk === k.pk && i.sk === k.sk)).filter(Boolean);
        return { Responses: { [table]: found } };
      }
      if (!TransactItems) throw new Error('unexpected command');
      sent.push(TransactItems);
      const next = outcomes.shift() ?? 'ok';
      const outcome = next === 'ok' ? 'ok' : next(TransactItems);
      if (outcome !== 'ok') throw cancelled(outcome);
      return {};
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, sent, batchGets };
}
