import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { chunkItemKey } from './chunk-item-key.js';
import type { ChunkCommit, ChunkRef, ClaimChunkInput } from './chunk-store.js';
import { uploadAttributeOf } from './upload-attribute.js';

/**
 * The chunk item's transitions as data (docs/architecture.md, "Chunk ledger"): each a conditional
 * UpdateItem, so the condition that makes a transition safe is visible and testable without a table.
 */

/** Every attribute name goes through a placeholder: `state`, `owner` and others are reserved words. */
export const CHUNK_NAMES = {
  '#state': 'state',
  '#owner': 'owner',
  '#lease': 'leaseExpiresAt',
  '#updatedAt': 'updatedAt',
} as const;

/** Held by `:owner`'s attempt: the only state in which it may commit, give back or record uploads. */
export const HELD_BY_OWNER = '#owner = :owner AND #state = :inProgress';

/** Chunk items say why a chunk was given back; a long error message is cut, not stored whole. */
export const MAX_ERROR_CHARS = 500;

/**
 * The claim: a new chunk, a chunk given back (RETRY) or one whose lease ran out is taken, attempt
 * + 1 and `salt` appended; `firstClaimedAt` and the membership digest are set once and a claim
 * naming another membership fails. ALL_NEW on success, ALL_OLD on a failed condition.
 */
export function claimUpdate(
  table: string,
  input: ClaimChunkInput,
  now: Date,
  salt: string,
): UpdateCommandInput {
  const expires = input.ttlSeconds !== undefined;
  return {
    TableName: table,
    Key: chunkItemKey(input),
    UpdateExpression:
      'SET #owner = :owner, #lease = :lease, #state = :inProgress, ' +
      '#attempt = if_not_exists(#attempt, :zero) + :one, ' +
      '#salts = list_append(if_not_exists(#salts, :none), :salt), ' +
      '#firstClaimedAt = if_not_exists(#firstClaimedAt, :nowIso), ' +
      '#membership = if_not_exists(#membership, :membership), #updatedAt = :nowIso' +
      (expires ? ', #expiresAt = :expiresAt' : ''),
    ConditionExpression:
      '(attribute_not_exists(pk) OR #state = :retry OR (#state = :inProgress AND #lease < :now)) ' +
      'AND (attribute_not_exists(#membership) OR #membership = :membership)',
    ExpressionAttributeNames: {
      ...CHUNK_NAMES,
      '#attempt': 'attempt',
      '#salts': 'salts',
      '#firstClaimedAt': 'firstClaimedAt',
      '#membership': 'membership',
      ...(expires ? { '#expiresAt': 'expiresAt' } : {}),
    },
    ExpressionAttributeValues: {
      ':owner': input.owner,
      ':lease': now.getTime() + input.leaseSeconds * 1000,
      ':inProgress': 'IN_PROGRESS',
      ':retry': 'RETRY',
      ':now': now.getTime(),
      ':nowIso': now.toISOString(),
      ':zero': 0,
      ':one': 1,
      ':none': [],
      ':salt': [salt],
      ':membership': input.membership,
      // Epoch seconds, as DynamoDB's TTL reads them.
      ...(expires ? { ':expiresAt': Math.floor(now.getTime() / 1000) + input.ttlSeconds! } : {}),
    },
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * DONE: the log, its hash and counts, and nothing of the attempt's working state (owner, lease,
 * error, a multipart upload's progress), so a committed item stays small for good. Key ARNs once
 * each, sorted; none stored when there are none.
 */
export function doneUpdate(table: string, ref: ChunkRef, owner: string, commit: ChunkCommit, now: Date) {
  const keyArns = [...new Set(commit.keyArns)].sort();
  const withKeys = keyArns.length > 0;
  // Uploads a crashed attempt left recorded for objects this attempt found done go with the commit.
  const uploads = Object.fromEntries(
    [...new Set(commit.uploadKeys ?? [])].map((key, i) => [`#u${i}`, uploadAttributeOf(key)]),
  );
  const removeUploads = Object.keys(uploads)
    .map((name) => `, ${name}`)
    .join('');
  const expires = commit.ttlSeconds !== undefined;
  return {
    TableName: table,
    Key: chunkItemKey(ref),
    UpdateExpression:
      'SET #state = :done, #logKey = :logKey, #logSha256 = :logSha256, #records = :records, ' +
      `#updatedAt = :nowIso${withKeys ? ', #keyArns = :keyArns' : ''}` +
      `${expires ? ', #expiresAt = :expiresAt' : ''} ` +
      `REMOVE #owner, #lease, #error${removeUploads}`,
    ConditionExpression: HELD_BY_OWNER,
    ExpressionAttributeNames: {
      ...CHUNK_NAMES,
      '#logKey': 'logKey',
      '#logSha256': 'logSha256',
      '#records': 'records',
      '#error': 'error',
      ...uploads,
      ...(withKeys ? { '#keyArns': 'keyArns' } : {}),
      ...(expires ? { '#expiresAt': 'expiresAt' } : {}),
    },
    ExpressionAttributeValues: {
      ':done': 'DONE',
      ':logKey': commit.log.key,
      ':logSha256': commit.log.sha256,
      ':records': commit.records.length,
      ':nowIso': now.toISOString(),
      ':owner': owner,
      ':inProgress': 'IN_PROGRESS',
      ...(withKeys ? { ':keyArns': keyArns } : {}),
      // Epoch seconds from the commit's second: never earlier than the log's LastModified + TTL.
      ...(expires ? { ':expiresAt': Math.floor(now.getTime() / 1000) + commit.ttlSeconds! } : {}),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

/** RETRY: the lease removed, so a redelivery claims the chunk at once; the owner stays, for people. */
export function giveBackUpdate(
  table: string,
  ref: ChunkRef,
  owner: string,
  error: string,
  now: Date,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: chunkItemKey(ref),
    UpdateExpression: 'SET #state = :retry, #error = :error, #updatedAt = :nowIso REMOVE #lease',
    ConditionExpression: HELD_BY_OWNER,
    ExpressionAttributeNames: { ...CHUNK_NAMES, '#error': 'error' },
    ExpressionAttributeValues: {
      ':retry': 'RETRY',
      ':error': error.slice(0, MAX_ERROR_CHARS),
      ':nowIso': now.toISOString(),
      ':owner': owner,
      ':inProgress': 'IN_PROGRESS',
    },
  };
}

/** Renews the lease `owner` holds on an IN_PROGRESS chunk (the runner's heartbeat). */
export function renewUpdate(
  table: string,
  ref: ChunkRef,
  owner: string,
  leaseSeconds: number,
  now: Date,
): UpdateCommandInput {
  return {
    TableName: table,
    Key: chunkItemKey(ref),
    UpdateExpression: 'SET #lease = :lease',
    ConditionExpression: HELD_BY_OWNER,
    ExpressionAttributeNames: {
      '#lease': CHUNK_NAMES['#lease'],
      '#owner': CHUNK_NAMES['#owner'],
      '#state': CHUNK_NAMES['#state'],
    },
    ExpressionAttributeValues: {
      ':lease': now.getTime() + leaseSeconds * 1000,
      ':owner': owner,
      ':inProgress': 'IN_PROGRESS',
    },
  };
}
