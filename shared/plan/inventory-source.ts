import { describeError } from '../errors.js';
import { InventoryError } from '../inventory/errors.js';
import type { InventoryManifest } from '../inventory/manifest.js';
import { readInventoryRows } from '../inventory/read-rows.js';
import { type InventoryRow, objectStateOf } from '../inventory/row.js';
import { decideRow, unusableRow } from '../inventory/row-decision.js';
import { headObject } from '../s3/object-head.js';
import type { PlanScope } from './listing-source.js';
import {
  actionOf,
  countNoncurrent,
  countObject,
  countSettled,
  type ObjectStateName,
  type PlanTally,
  stateOf,
} from './tally.js';

/**
 * Row states an inventory cannot settle: NOT-SSE rows may be client-side envelopes (inventories
 * carry no user metadata), SSE-KMS rows without a key column do not say under which key.
 */
const SAMPLED_STATES: ObjectStateName[] = ['unencrypted', 'sse-kms-key-unknown'];

/** What HEADs of a random sample of one row state found. */
export interface SampleResult {
  rowState: ObjectStateName;
  rows: number;
  sampled: number;
  /** HEAD state -> objects in the sample. */
  states: Record<string, number>;
  /** Planned action after the HEAD -> objects in the sample. */
  actions: Record<string, number>;
}

/** A uniform random sample of a stream of unknown length (reservoir sampling, Algorithm R). */
export class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  constructor(private readonly size: number) {}
  offer(item: T): void {
    this.seen += 1;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < this.size) this.items[slot] = item;
    }
  }
}

/**
 * Counts every row of the inventory under the scope's prefix into `tally` without a request per
 * object (and, apart, the rows a run would settle from the report alone), then HEADs up to `sampleSize` rows of each state a row cannot settle.
 */
export async function tallyInventory(
  scope: PlanScope,
  manifest: InventoryManifest,
  tally: PlanTally,
  sampleSize: number,
): Promise<{ rows: number; samples: SampleResult[] }> {
  if (manifest.sourceBucket !== scope.bucket) {
    throw new InventoryError(
      `the inventory lists bucket ${manifest.sourceBucket}, not ${scope.bucket}: name the inventory of the bucket you plan for`,
    );
  }
  // The key of an SSE-KMS row matters only when the policy asks for a particular key.
  const sampled = SAMPLED_STATES.filter(
    (state) => state !== 'sse-kms-key-unknown' || scope.policy.mode === 'sse-kms',
  );
  const reservoirs = new Map(sampled.map((state) => [state, new Reservoir<InventoryRow>(sampleSize)]));
  let rows = 0;
  for await (const row of readInventoryRows(scope.s3, manifest)) {
    rows += 1;
    if (!row.key.startsWith(scope.prefix)) continue;
    if (row.isDeleteMarker) {
      tally.deleteMarkers += 1;
      continue;
    }
    if (!row.isLatest) {
      countNoncurrent(tally, row.size ?? 0, (row.encryptionStatus ?? 'NOT-SSE') === 'NOT-SSE');
      continue;
    }
    // A row `encrypt --inventory` skips with its reason (docs/large-buckets.md).
    const unusable = unusableRow(row, scope.bucket);
    if (unusable) {
      const action = `skip:${unusable.reason}`;
      countObject(tally, {
        state: 'unusable-row',
        action,
        size: row.size ?? 0,
        storageClass: row.storageClass,
      });
      countSettled(tally, action, row.size ?? 0);
      continue;
    }
    const object = objectStateOf(row);
    const state = stateOf(object, scope.policy);
    const action = actionOf(object, state, scope.policy, scope.useUpdateObjectEncryption);
    countObject(tally, {
      state,
      action,
      size: row.size ?? 0,
      storageClass: row.storageClass,
      kmsKeyArn: object.kmsKeyArn,
    });
    // What `encrypt --inventory` settles from the row itself (a plan names no SSE-C key).
    const decided = decideRow(row, { policy: scope.policy });
    if (decided.action !== 'job') {
      countSettled(
        tally,
        decided.action === 'compliant' ? 'compliant' : `skip:${decided.reason}`,
        row.size ?? 0,
      );
    }
    reservoirs.get(state)?.offer(row);
  }
  const samples: SampleResult[] = [];
  for (const [rowState, reservoir] of reservoirs) {
    if (reservoir.seen === 0 || sampleSize === 0) continue;
    samples.push(await headSample(scope, tally, rowState, reservoir));
  }
  return { rows, samples };
}

async function headSample(
  scope: PlanScope,
  tally: PlanTally,
  rowState: ObjectStateName,
  reservoir: Reservoir<InventoryRow>,
): Promise<SampleResult> {
  const result: SampleResult = { rowState, rows: reservoir.seen, sampled: 0, states: {}, actions: {} };
  const bump = (counts: Record<string, number>, name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const items = reservoir.items;
  for (let i = 0; i < items.length; i += scope.concurrency) {
    await Promise.all(
      items.slice(i, i + scope.concurrency).map(async (row) => {
        try {
          const head = await headObject(scope.s3, scope.bucket, row.key);
          const state = head ? stateOf(head, scope.policy) : 'missing';
          result.sampled += 1;
          bump(result.states, state);
          bump(
            result.actions,
            head ? actionOf(head, state, scope.policy, scope.useUpdateObjectEncryption) : 'skip:missing',
          );
        } catch (error) {
          tally.headFailures.count += 1;
          tally.headFailures.example ??= `s3://${scope.bucket}/${row.key}: ${describeError(error)}`;
        }
      }),
    );
  }
  return result;
}
