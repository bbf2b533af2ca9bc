import { paginateScan, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { errorName } from '../../aws-errors.js';
import type { RunStore } from '../../runs/run-store.js';
import { displayS3Uri } from '../../s3-uri.js';
import type { AuditFinding } from '../audit-finding.js';
import { MULTISET_HASH_ALGORITHM, MultisetAccumulator, multisetDigest } from '../multiset-hash.js';
import {
  absentAsEmpty,
  anchorsOf,
  auditPartitionKey,
  type LegacyTables,
  readAnchors,
} from './audit-tables.js';
import { type ChainedRecord, recordHash, verifyChain } from './hash-chain.js';

export interface LegacyAllResult {
  objects: number;
  records: number;
  runsChecked: number;
  findings: AuditFinding[];
  /** Runs closed before multiset digests: their count is checked, their digest by `--run`. */
  legacyRuns: string[];
}

export interface VerifyAllProgress {
  records: number;
  objects: number;
}

/** Chains whose anchors are fetched with one BatchGetItem (its limit is 100 keys). */
const ANCHOR_BATCH = 50;

/**
 * Verifies the trail written before chunks (docs/audit.md, "Trails written before chunks"): every
 * object's hash chain against its ledger anchor, and the digest and record count of every closed
 * run that has no chunk trail (`isChunkRun` says which do: those are verified from their logs),
 * in one streaming pass over the audit table with parallel Scan segments. A Scan returns all items
 * of one partition key (one object's chain) together, within one segment, so memory holds one
 * segment's chains in flight (at most {@link ANCHOR_BATCH}) and one small accumulator per run.
 */
export async function verifyLegacyAll(
  deps: LegacyTables & { runs: Pick<RunStore, 'allRunIds' | 'getWithTally'> },
  options: {
    segments: number;
    isChunkRun: (runId: string) => boolean;
    onProgress?: (progress: VerifyAllProgress) => void;
  },
): Promise<LegacyAllResult> {
  const findings: AuditFinding[] = [];
  const perRun = new Map<string, { records: number; accumulator: MultisetAccumulator }>();
  const progress = { records: 0, objects: 0 };
  let anchoredRecords = 0;

  const checkChains = async (chains: ChainedRecord[][]) => {
    const anchors = await readAnchors(
      deps,
      chains.map((c) => c[0]!),
    );
    for (const chain of chains) {
      const { bucket, key } = chain[0]!;
      const anchor = anchors.get(auditPartitionKey(bucket, key));
      anchoredRecords += chain.length;
      for (const problem of verifyChain(chain, anchor))
        findings.push({ subject: displayS3Uri({ bucket, key }), ...problem });
      for (const record of chain) {
        const run = perRun.get(record.runId) ?? { records: 0, accumulator: new MultisetAccumulator() };
        run.records += 1;
        run.accumulator.add(recordHash(record));
        perRun.set(record.runId, run);
      }
    }
    progress.objects += chains.length;
    options.onProgress?.({ ...progress });
  };

  const segment = async (index: number) => {
    let current: ChainedRecord[] = [];
    let ready: ChainedRecord[][] = [];
    const pages = paginateScan(
      { client: deps.dynamo },
      { TableName: deps.auditTable, Segment: index, TotalSegments: options.segments },
    );
    for await (const page of absentAsEmpty(pages)) {
      for (const { pk, sk: _sk, ...item } of page.Items ?? []) {
        const record = item as ChainedRecord;
        if (current.length > 0 && auditPartitionKey(current[0]!.bucket, current[0]!.key) !== pk) {
          ready.push(current);
          current = [];
        }
        current.push(record);
        progress.records += 1;
        if (ready.length >= ANCHOR_BATCH) {
          await checkChains(ready);
          ready = [];
        }
      }
    }
    if (current.length > 0) ready.push(current);
    if (ready.length > 0) await checkChains(ready);
  };
  await Promise.all(Array.from({ length: options.segments }, (_, i) => segment(i)));

  // Objects whose records were all removed keep their anchor: compare totals, name them if short.
  const anchored = await anchorTotals(deps, options.segments);
  if (anchored.objects !== progress.objects || anchored.records !== anchoredRecords) {
    for (const key of await anchorsWithoutRecords(deps, options.segments))
      findings.push({
        subject: key,
        record: 'chain',
        problem: 'removed: the ledger anchors records that are gone',
      });
  }

  const legacyRuns: string[] = [];
  let runsChecked = 0;
  for await (const runId of deps.runs.allRunIds()) {
    if (options.isChunkRun(runId)) continue;
    const found = await deps.runs.getWithTally(runId);
    if (!found?.run.auditDigest) continue;
    const { run, tally } = found;
    runsChecked += 1;
    const seen = perRun.get(runId);
    const records = seen?.records ?? 0;
    if (records !== run.auditRecords)
      findings.push({
        subject: `run ${runId}`,
        record: 'count',
        problem: `closed with ${run.auditRecords} records, the trail holds ${records}`,
      });
    if (run.digestAlgorithm === undefined) {
      legacyRuns.push(runId);
      continue;
    }
    if (run.digestAlgorithm !== MULTISET_HASH_ALGORITHM) {
      findings.push({
        subject: `run ${runId}`,
        record: 'digest',
        problem: `unknown algorithm ${run.digestAlgorithm}`,
      });
      continue;
    }
    const recomputed = multisetDigest(seen?.accumulator.value ?? new MultisetAccumulator().value);
    if (recomputed !== run.auditDigest)
      findings.push({
        subject: `run ${runId}`,
        record: 'digest',
        problem: `its records no longer match the digest it closed with (recomputed ${recomputed})`,
      });
    if (tally.records !== run.auditRecords || tally.digest !== run.auditDigest)
      findings.push({
        subject: `run ${runId}`,
        record: 'tally',
        problem: 'its tally shards no longer match the digest and count it closed with',
      });
  }
  return { objects: progress.objects, records: progress.records, runsChecked, findings, legacyRuns };
}

/** Every ledger anchor, in parallel segments: how many, and how many records they count. */
async function anchorTotals(deps: LegacyTables, segments: number) {
  const totals = { objects: 0, records: 0 };
  await Promise.all(
    Array.from({ length: segments }, async (_, index) => {
      for await (const anchor of anchorsOf(deps, { segment: index, segments })) {
        totals.objects += 1;
        totals.records += anchor.seq;
      }
    }),
  );
  return totals;
}

async function anchorsWithoutRecords(deps: LegacyTables, segments: number): Promise<string[]> {
  const orphans: string[] = [];
  await Promise.all(
    Array.from({ length: segments }, async (_, index) => {
      for await (const anchor of anchorsOf(deps, { segment: index, segments })) {
        const query = new QueryCommand({
          TableName: deps.auditTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': anchor.pk },
          Select: 'COUNT',
          ConsistentRead: true,
        });
        // Anchors with no audit table at all: every anchored chain is gone.
        const out = await deps.dynamo.send(query).catch((error: unknown) => {
          if (errorName(error) === 'ResourceNotFoundException') return { Count: 0 };
          throw error;
        });
        if ((out.Count ?? 0) === 0) orphans.push(`s3://${anchor.pk.slice('obj#'.length)}`);
      }
    }),
  );
  return orphans;
}
