import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { EncryptChunk } from '../chunks/chunk-message.js';
import type { ChunkOutcome } from '../chunks/run-chunk.js';
import { isLargeObject, type LargeObjectRole, protectionMovesData } from '../jobs/large-object-route.js';
import { queueBody } from '../sqs-text.js';
import type { WatchPolicyStore } from '../watch/watch-policy.js';
import { checkUpload, type UploadCheckDeps } from './compliant-upload.js';
import { eventChunk, policyForEvent } from './event-chunk.js';
import type { ObjectCreated } from './s3-event.js';
import type { WatchRuns } from './watch-runs.js';

/** What became of one ObjectCreated record. */
export type EventOutcome =
  /** Already as the watch wants it (our own write's echo, or compliant when written): nothing recorded. */
  | { kind: 'compliant'; detail: string }
  /** Too large for this function: its chunk went to the large-object queue, whose worker records it. */
  | { kind: 'large'; message: EncryptChunk }
  /** Decided in its one-intent chunk (or found already committed: a duplicate). */
  | { kind: 'chunk'; message: EncryptChunk; outcome: ChunkOutcome };

export interface EnforceEventDeps extends UploadCheckDeps {
  policies: Pick<WatchPolicyStore, 'forBucket'>;
  watchRuns: Pick<WatchRuns, 'record'>;
  /** Absent on the large-object worker, which serves every size. */
  largeObjects?: LargeObjectRole;
  /** The chunk runner, with the event chunk's TTL (see chunkTtlSeconds). */
  runChunk: (message: EncryptChunk) => Promise<ChunkOutcome>;
  now: () => Date;
}

/**
 * Live enforcement of one uploaded object (docs/architecture.md, "Live enforcement"): one HEAD
 * first; an object already compliant is acknowledged with nothing recorded. Any other becomes a
 * one-intent chunk of the bucket's daily watch run, run here or, when its write would move more
 * bytes than one invocation can, on the large-object queue. The runner HEADs again before deciding
 * (it decides on a fresh HEAD, whatever came before): one HEAD more for the uploads that need a
 * decision, none for echoes.
 */
export async function enforceEvent(event: ObjectCreated, deps: EnforceEventDeps): Promise<EventOutcome> {
  const policy = policyForEvent(event, await deps.policies.forBucket(event.bucket));
  const check = await checkUpload(deps, event.bucket, event.key, policy);
  if (check.compliant) return { kind: 'compliant', detail: check.detail };
  const at = deps.now();
  const message = eventChunk(event, policy, at);
  await deps.watchRuns.record(message, at);
  const role = deps.largeObjects;
  const movesData = check.method !== undefined && protectionMovesData(check.method);
  if (role && !role.serves && movesData && isLargeObject(check.head?.size, role.thresholdBytes)) {
    const large: EncryptChunk = { ...message, large: true };
    await role.sqs.send(new SendMessageCommand({ QueueUrl: role.queueUrl, MessageBody: queueBody(large) }));
    return { kind: 'large', message: large };
  }
  return { kind: 'chunk', message, outcome: await deps.runChunk(message) };
}
