import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocally } from '../../cli/local-run.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { settled } from '../../shared/runs/run-store.js';
import { createKmsKey, describeObject, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline('local-run-lanes');
});

/** The most HeadObject requests the handlers' S3 client had in flight at once, from now on. */
function headsInFlight() {
  const seen = { now: 0, most: 0, total: 0 };
  pipeline.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'HeadObjectCommand') return next(args);
      seen.most = Math.max(seen.most, ++seen.now);
      seen.total++;
      try {
        return await next(args);
      } finally {
        seen.now--;
      }
    },
    { step: 'initialize', name: `headsInFlight-${randomUUID()}` },
  );
  return seen;
}

/** When (ms, in order) the handlers' clients sent each request `name` matches; `filter` narrows by input. */
function sendTimes(
  client: { middlewareStack: Pipeline['clients']['s3']['middlewareStack'] },
  name: string,
  filter: (input: Record<string, unknown>) => boolean = () => true,
): number[] {
  const times: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === name && filter(args.input as Record<string, unknown>))
        times.push(performance.now());
      return next(args);
    },
    { step: 'initialize', name: `sendTimes-${randomUUID()}` },
  );
  return times;
}

describe('a local run (docs/architecture.md, "Flow": objects in flight, end of a local run)', () => {
  it('keeps ten objects in flight per poller over all its chunks, and finishes every chunk', async () => {
    const { clients, runs, queues } = pipeline;
    const bucket = uniqueBucket('lanes');
    // Four chunks of up to 100: one poller's batch holds them all, and each chunk alone would
    // decide 16 objects at once.
    const seeded = await seedBucket(clients.s3, bucket, { objects: 340, maxObjectBytes: 256 });
    const key = await createKmsKey(clients.kms);
    const heads = headsInFlight();
    const receives = sendTimes(clients.sqs as never, 'ReceiveMessageCommand');
    const chunkLogs = sendTimes(clients.s3, 'PutObjectCommand', (input) =>
      String(input.Key).includes('/chunks/'),
    );
    const run = await startRun({ ...clients, runs, queues }, { bucket, prefix: '', mode: 'sse-kms', key });
    const { run: done, unsettled } = await runLocally({
      sqs: clients.sqs,
      runs,
      queues,
      runId: run.runId,
      mode: run.mode,
      concurrency: 1,
    });
    expect(unsettled).toBe(0);
    expect(done.discovered).toBe(340);
    expect(settled(done.counts)).toBe(340);
    expect(done.counts.encrypted).toBe(340);
    expect(heads.total).toBe(340);
    expect(heads.most).toBeLessThanOrEqual(10);
    expect(heads.most).toBeGreaterThan(1);
    // Once every chunk is counted or held here, the pollers ask the queues for nothing more: no
    // receive after the last chunk log (every chunk then held or committed), so none holds the
    // run's end. (A chunk may wait on the queue for a poller until an earlier chunk commits.)
    expect(chunkLogs.length).toBeGreaterThanOrEqual(4);
    expect(receives.filter((at) => at > chunkLogs.at(-1)!)).toEqual([]);
    expect((await describeObject(clients.s3, bucket, seeded.sampleKey)).sse).toBe('aws:kms');
  });
});
