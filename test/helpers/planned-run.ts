import type { SQSEvent } from 'aws-lambda';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import { jobIdFor } from '../../shared/jobs/scan-page.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { listKeys, type startPipeline } from './pipeline.js';

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

/** An sse-kms run over `bucket` whose scan is recorded whole, and the encrypt jobs its scan would send. */
export async function plannedRun(
  pipeline: Pipeline,
  bucket: string,
  keyArn: string,
): Promise<{ runId: string; jobs: EncryptJob[] }> {
  const keys = await listKeys(pipeline.clients.s3, bucket);
  const runId = await recordedRun(pipeline, bucket, { mode: 'sse-kms', keyArn, objects: keys.length });
  const jobs = keys.map(
    (key): EncryptJob => ({
      type: 'encrypt',
      runId,
      jobId: jobIdFor(runId, bucket, key),
      bucket,
      key,
      mode: 'sse-kms',
      keyArn,
    }),
  );
  return { runId, jobs };
}

/** The jobs as one SQS batch, message ids `<jobId>-<position>` (a job may appear twice). */
export const batchOf = (jobs: EncryptJob[]): SQSEvent => ({
  Records: jobs.map(
    (job, i) =>
      ({ messageId: `${job.jobId}-${i}`, receiptHandle: `${i}`, body: JSON.stringify(job) }) as never,
  ),
});
