import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { headObject } from '../../shared/s3/object-head.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('instruction-siblings');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

/** The keys of HeadObject requests `s3` sends from now on. */
function headsOf(pipeline: Pipeline): string[] {
  const keys: string[] = [];
  pipeline.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (String(context.commandName) === 'HeadObjectCommand') keys.push((args.input as { Key: string }).Key);
      return next(args);
    },
    { step: 'initialize', name: `heads-${Math.random()}` },
  );
  return keys;
}

describe('envelope backfill from a listing: instruction files known from the page', () => {
  it('skips an object whose instruction file the page lists, and HEADs no sibling it did not need', async () => {
    const bucket = uniqueBucket('siblings');
    const { clients } = pipeline;
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [key, body] of [
      ['a.csv', 'plain a'],
      ['a.csv.instruction', '{}'],
      ['b.csv', 'plain b'],
      ['c.csv', 'plain c'],
    ]) {
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
    const heads = headsOf(pipeline);
    const { run } = await pipeline.backfill(bucket, 'envelope', keyArn);
    const records = await pipeline.trail.byKey(run.runId);
    expect(records.get('a.csv')).toMatchObject({ decision: 'skipped', reason: 'has-instruction-file' });
    expect(records.get('a.csv.instruction')).toMatchObject({
      decision: 'skipped',
      reason: 's3ec-instruction-file',
    });
    expect(records.get('b.csv')?.decision).toBe('encrypted');
    expect(records.get('c.csv')?.decision).toBe('encrypted');
    // One HEAD per object; the one page listed everything, so no sibling was asked about.
    expect(heads.filter((key) => key.endsWith('.instruction') && key !== 'a.csv.instruction')).toEqual([]);
    expect((await headObject(clients.s3, bucket, 'a.csv'))?.metadata['x-amz-c']).toBeUndefined();
  });
});
