import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { chunkItemKey } from '../chunks/chunk-item-key.js';
import type { LeafRequest } from './leaf-request.js';

/**
 * The sequencer's one DynamoDB item (docs/architecture.md, "Transparency log"): how many leaves are
 * assigned, and the entries of the last assignment until a checkpoint covers them. Leaves are
 * assigned here first, in one transaction with the chunk items they mark, and only then written as
 * tiles: every tile's bytes are fixed before any writer makes them, so a crashed or concurrent
 * sequencer rewrites the same bytes and the log never forks.
 */
export interface SequencerState {
  /** Leaves assigned: the tree the next checkpoint will show. */
  size: number;
  /** The size before the last assignment: a checkpoint at least `size` is still owed from here. */
  pendingFrom: number;
  /** The entries of leaves `pendingFrom` .. `size - 1` (leaf-entry.ts, UTF-8 text). */
  pending: string[];
}

/** One log per origin (its bucket and prefix): its state item in the ledger table. */
export function sequencerStateKey(origin: string): { pk: string; sk: string } {
  return { pk: `tlog#${origin}`, sk: 'state' };
}

/** A transaction takes at most 100 items: the state and 99 chunk items. */
export const MAX_LEAVES_PER_ASSIGNMENT = 99;

export const EMPTY_STATE: SequencerState = { size: 0, pendingFrom: 0, pending: [] };

export function sequencerStateOf(raw: Record<string, unknown> | undefined): SequencerState {
  if (!raw) return EMPTY_STATE;
  return {
    size: Number(raw.size),
    pendingFrom: Number(raw.pendingFrom),
    pending: (raw.pending as string[] | undefined) ?? [],
  };
}

/**
 * Assigns leaves `state.size` .. in request order: the state moves on only from the size it was
 * read at, and each chunk item gets its index only if it is committed to exactly this log and has
 * none yet (a redelivered request fails there, and is dropped as already in the log).
 */
export function assignmentTransaction(
  table: string,
  origin: string,
  state: SequencerState,
  requests: readonly LeafRequest[],
  entries: readonly string[],
  now: Date,
): TransactWriteCommandInput {
  const size = state.size + requests.length;
  return {
    TransactItems: [
      {
        Update: {
          TableName: table,
          Key: sequencerStateKey(origin),
          UpdateExpression: 'SET #size = :size, pendingFrom = :from, pending = :pending, updatedAt = :now',
          ConditionExpression:
            state.size === 0 ? 'attribute_not_exists(#size) OR #size = :from' : '#size = :from',
          ExpressionAttributeNames: { '#size': 'size' },
          ExpressionAttributeValues: {
            ':size': size,
            ':from': state.size,
            ':pending': [...entries],
            ':now': now.toISOString(),
          },
        },
      },
      ...requests.map((request, i) => ({
        Update: {
          TableName: table,
          Key: chunkItemKey(request),
          UpdateExpression: 'SET leafIndex = :index',
          ConditionExpression:
            '#state = :done AND logKey = :key AND logSha256 = :sha AND attribute_not_exists(leafIndex)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':index': state.size + i,
            ':done': 'DONE',
            ':key': request.leaf.key,
            ':sha': request.leaf.sha256,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        },
      })),
    ],
  };
}
