import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../errors.js';
import { Reservoir } from '../plan/inventory-source.js';
import type { Plan, PlanRequest } from '../plan/plan-run.js';
import { summarise } from '../plan/summary.js';
import { type Amount, actionOf, countObject, emptyTally, type PlanTally, stateOf } from '../plan/tally.js';
import type { ProtectionPolicy } from '../policy.js';
import { type ListedObject, listObjectPages } from '../s3/list-objects.js';
import { headObject } from '../s3/object-head.js';

/** How a sampled plan was estimated: `headed` of `listed` current objects. */
export interface ObjectSample {
  headed: number;
  listed: number;
}

/** Scales a sample's amounts so counts and bytes add up to the listing's (up to rounding). */
const scale = (amounts: Record<string, Amount>, countFactor: number, byteFactor: number) => {
  for (const amount of Object.values(amounts)) {
    amount.count = Math.round(amount.count * countFactor);
    amount.bytes = Math.round(amount.bytes * byteFactor);
  }
};

/**
 * A plan of a bucket too large to HEAD whole (`plan --all-buckets --sample-objects N`): the listing
 * counts every current object and its bytes exactly (a request per 1,000 keys), a uniform random
 * sample of N of them is HEADed, and the states, storage classes and actions are the sample's
 * shares scaled to the listing. Returns undefined when the bucket holds no more than N objects:
 * the caller then plans it exactly. Noncurrent versions are not sampled (docs/estate.md).
 */
export async function planFromSample(
  s3: S3Client,
  request: PlanRequest,
  policy: ProtectionPolicy,
  size: number,
): Promise<{ plan: Plan; sample: ObjectSample } | undefined> {
  const reservoir = new Reservoir<ListedObject>(size);
  let bytes = 0;
  for await (const page of listObjectPages(s3, { bucket: request.bucket, prefix: request.prefix })) {
    for (const object of page.objects) {
      bytes += object.size ?? 0;
      reservoir.offer(object);
    }
  }
  if (reservoir.seen <= size) return undefined;
  const tally: PlanTally = emptyTally();
  const items = reservoir.items;
  for (let i = 0; i < items.length; i += request.concurrency) {
    await Promise.all(
      items.slice(i, i + request.concurrency).map(async (item) => {
        try {
          const head = await headObject(s3, request.bucket, item.key);
          if (!head) return countObject(tally, { state: 'missing', action: 'skip:missing', size: 0 });
          const state = stateOf(head, policy);
          const action = actionOf(head, state, policy, request.useUpdateObjectEncryption);
          countObject(tally, { state, action, size: head.size, storageClass: head.storageClass });
        } catch (error) {
          tally.headFailures.count += 1;
          tally.headFailures.example ??= `s3://${request.bucket}/${item.key}: ${describeError(error)}`;
        }
      }),
    );
  }
  const headed = tally.objects.count;
  const countFactor = reservoir.seen / Math.max(headed, 1);
  const byteFactor = tally.objects.bytes > 0 ? bytes / tally.objects.bytes : countFactor;
  for (const amounts of [tally.byState, tally.byStorageClass, tally.byAction]) {
    scale(amounts, countFactor, byteFactor);
  }
  tally.objects = { count: reservoir.seen, bytes };
  const plan = summarise({ request, policy, tally, samples: [], listedKeys: reservoir.seen });
  plan.notes.unshift(
    `Estimated from a HEAD sample of ${headed} of ${reservoir.seen} current objects (uniform at random): counts by state and action are the sample's shares of the listing; noncurrent versions were not looked at.`,
  );
  return { plan, sample: { headed, listed: reservoir.seen } };
}
