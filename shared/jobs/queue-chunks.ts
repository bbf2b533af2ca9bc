import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  type ChunkFields,
  type ChunkIntent,
  chunkIdFor,
  type EncryptChunk,
  type RewrapChunk,
  splitIntoChunks,
} from '../chunks/chunk-message.js';
import type { QueueUrls } from '../queues.js';
import { splitLargeJobs } from './large-object-route.js';
import { type RunFields, runFieldsOf } from './messages.js';
import { sendInBatches } from './send-batches.js';

/**
 * A page's chunks (docs/architecture.md, "Chunks"), from its fixed membership: the objects over
 * `largeObjectBytes` one per chunk (`<origin>:large:<index in the page>`, `large: true`), the
 * rest in order in chunks of at most 100 (`<origin>:<n>`, n from 0). The same intents always give
 * the same chunks, so a redelivered page queues the same chunk ids.
 */
export function chunksOfPage(
  runId: string,
  origin: string,
  intents: ChunkIntent[],
  largeObjectBytes: number | undefined,
): ChunkFields[] {
  const indexed = intents.map((intent, index) => ({ intent, index, size: intent.size }));
  const { small, large } = splitLargeJobs(indexed, largeObjectBytes);
  const chunks: ChunkFields[] = splitIntoChunks(small).map((members, n) =>
    chunkOf(
      runId,
      `${origin}:${n}`,
      members.map((m) => m.intent),
    ),
  );
  for (const { intent, index } of large) {
    chunks.push({ ...chunkOf(runId, `${origin}:large:${index}`, [intent]), large: true });
  }
  return chunks;
}

/** One chunk's fields: its id is stable per (run, origin). */
export function chunkOf(runId: string, origin: string, intents: ChunkIntent[]): ChunkFields {
  return { chunkId: chunkIdFor(runId, origin), origin, intents };
}

type SendDeps = { sqs: SQSClient; queues: Pick<QueueUrls, 'encrypt' | 'rewrap' | 'large'> };

/**
 * Queues an encrypt run's chunks, ten per SendMessageBatch: large ones on the large-object queue
 * (docs/architecture.md, "Large objects"), the rest on the encrypt queue.
 */
export async function sendEncryptChunks(
  run: RunFields,
  chunks: ChunkFields[],
  deps: SendDeps,
): Promise<void> {
  const fields = runFieldsOf(run);
  const messages = chunks.map((chunk): EncryptChunk => ({ type: 'encrypt-chunk', ...fields, ...chunk }));
  await sendByRoute(messages, deps.queues.encrypt, deps);
}

/** What a re-wrap chunk carries of its run. */
export type RewrapRunFields = Pick<
  RewrapChunk,
  'runId' | 'bucket' | 'fromKeyArn' | 'toKeyArn' | 'wrappedBefore'
>;

/** Queues a re-wrap run's chunks: large ones on the large-object queue, the rest on the rewrap queue. */
export async function sendRewrapChunks(
  run: RewrapRunFields,
  chunks: ChunkFields[],
  deps: SendDeps,
): Promise<void> {
  const fields = {
    runId: run.runId,
    bucket: run.bucket,
    fromKeyArn: run.fromKeyArn,
    toKeyArn: run.toKeyArn,
    ...(run.wrappedBefore ? { wrappedBefore: run.wrappedBefore } : {}),
  };
  const messages = chunks.map((chunk): RewrapChunk => ({ type: 'rewrap-chunk', ...fields, ...chunk }));
  await sendByRoute(messages, deps.queues.rewrap, deps);
}

async function sendByRoute(messages: Array<{ large?: true }>, queueUrl: string, deps: SendDeps) {
  await sendInBatches(
    deps.sqs,
    queueUrl,
    messages.filter((m) => !m.large),
  );
  await sendInBatches(
    deps.sqs,
    deps.queues.large,
    messages.filter((m) => m.large),
  );
}
