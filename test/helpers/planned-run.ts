import type { SQSEvent } from 'aws-lambda';
import { type ChunkFields, type EncryptChunk, splitIntoChunks } from '../../shared/chunks/chunk-message.js';
import { chainIdOf } from '../../shared/jobs/chain-plan.js';
import { runFieldsOf } from '../../shared/jobs/messages.js';
import { chunkOf, chunksOfPage } from '../../shared/jobs/queue-chunks.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { listObjectPages } from '../../shared/s3/list-objects.js';
import { queueBody } from '../../shared/sqs-text.js';
import type { startPipeline } from './pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** A run over `bucket` whose scan is recorded whole (one page of `objects`): its id. */
export async function recordedRun(
  pipeline: Pipeline,
  bucket: string,
  run: { mode: 'sse-kms' | 'rewrap'; keyArn: string; objects: number },
): Promise<string> {
  const runId = newRunId();
  await pipeline.runs.create({
    runId,
    bucket,
    prefix: '',
    mode: run.mode,
    keyArn: run.keyArn,
    startedAt: new Date().toISOString(),
  });
  await pipeline.runs.recordPage(runId, 1, run.objects, true);
  return runId;
}

/**
 * An sse-kms run over `bucket` whose scan is recorded whole (one listing page), and the encrypt
 * chunks that page's scan would send: the page's intents (key, listed ETag, size) in chunks as the
 * producers build them (`chunksOfPage`, origin `listing:<chain>:1`), or, with `intentsPerChunk`,
 * in chunks of that many (`chunkOf`, origins `listing:<chain>:1:<n>`), so a batch holds several.
 */
export async function plannedRun(
  pipeline: Pipeline,
  bucket: string,
  keyArn: string,
  options: { intentsPerChunk?: number } = {},
): Promise<{ runId: string; chunks: EncryptChunk[] }> {
  const intents = [];
  for await (const page of listObjectPages(pipeline.clients.s3, { bucket }))
    for (const object of page.objects)
      intents.push({
        key: object.key,
        ...(object.etag !== undefined ? { etag: object.etag } : {}),
        ...(object.size !== undefined ? { size: object.size } : {}),
      });
  const runId = await recordedRun(pipeline, bucket, { mode: 'sse-kms', keyArn, objects: intents.length });
  const origin = `listing:${chainIdOf('')}:1`;
  const fields: ChunkFields[] = options.intentsPerChunk
    ? splitIntoChunks(intents, options.intentsPerChunk).map((members, n) =>
        chunkOf(runId, `${origin}:${n}`, members),
      )
    : chunksOfPage(runId, origin, intents, pipeline.config.largeObjectBytes);
  const run = runFieldsOf({ runId, bucket, mode: 'sse-kms', keyArn });
  const chunks = fields.map((chunk): EncryptChunk => ({ type: 'encrypt-chunk', ...run, ...chunk }));
  return { runId, chunks };
}

/** The chunks as one SQS batch, message ids `<chunkId>-<position>` (a chunk may appear twice). */
export const batchOf = (chunks: EncryptChunk[]): SQSEvent => ({
  Records: chunks.map(
    (chunk, i) =>
      ({ messageId: `${chunk.chunkId}-${i}`, receiptHandle: `${i}`, body: queueBody(chunk) }) as never,
  ),
});
