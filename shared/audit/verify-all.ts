import { type DynamoDBDocumentClient, paginateScan, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from '../ledger/batch-get.js';
import type { RunStore } from '../runs/run-store.js';
import { displayS3Uri } from '../s3-uri.js';
import { auditPartitionKey } from './audit-log.js';
import { type ChainAnchor, type ChainedRecord, recordHash, verifyChain } from './hash-chain.js';
import { MULTISET_HASH_ALGORITHM, MultisetAccumulator, multisetDigest } from './multiset-hash.js';
import type { AuditFinding } from './verify-audit.js';

export interface VerifyAllDeps {
  dynamo: DynamoDBDocumentClient;
  auditTable: string;
  ledgerTable: string;
  runs: RunStore;
}

export interface VerifyAllResult {
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
 * Verifies the whole audit trail (docs/architecture.md, "Counting and closing runs"): every
 * object's hash chain against its ledger anchor, and every closed run's digest and record count,
 * in one streaming pass over the audit table with parallel Scan segments. A Scan returns all items
 * of one partition key (one object's chain) together, within one segment, so memory holds one
 * segment's chains in flight (at most {@link ANCHOR_BATCH}) and one small accumulator per run.
 */
export async function verifyAll(
  deps: VerifyAllDeps,
  options: { segments: number; onProgress?: (progress: VerifyAllProgress) => void },
): Promise<VerifyAllResult> {
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
    for await (const page of paginateScan(
      { client: deps.dynamo },
      { TableName: deps.auditTable, Segment: index, TotalSegments: options.segments },
    )) {
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

async function readAnchors(deps: VerifyAllDeps, firsts: ChainedRecord[]): Promise<Map<string, ChainAnchor>> {
  const anchors = new Map<string, ChainAnchor>();
  const keys = firsts.map((r) => ({ pk: auditPartitionKey(r.bucket, r.key), sk: 'audit' }));
  for (const item of (await batchGetItems(deps.dynamo, deps.ledgerTable, keys)).values()) {
    if (item.head) anchors.set(item.pk as string, { head: String(item.head), seq: Number(item.seq) });
  }
  return anchors;
}

/** Every ledger anchor, in parallel segments: how many, and how many records they count. */
async function anchorTotals(deps: VerifyAllDeps, segments: number) {
  const totals = { objects: 0, records: 0 };
  await Promise.all(
    Array.from({ length: segments }, async (_, index) => {
      for await (const anchor of anchorsOf(deps, index, segments)) {
        totals.objects += 1;
        totals.records += Number(anchor.seq ?? 0);
      }
    }),
  );
  return totals;
}

async function anchorsWithoutRecords(deps: VerifyAllDeps, segments: number): Promise<string[]> {
  const orphans: string[] = [];
  await Promise.all(
    Array.from({ length: segments }, async (_, index) => {
      for await (const anchor of anchorsOf(deps, index, segments)) {
        const out = await deps.dynamo.send(
          new QueryCommand({
            TableName: deps.auditTable,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': anchor.pk },
            Select: 'COUNT',
            ConsistentRead: true,
          }),
        );
        if ((out.Count ?? 0) === 0) orphans.push(`s3://${String(anchor.pk).slice('obj#'.length)}`);
      }
    }),
  );
  return orphans;
}

async function* anchorsOf(deps: VerifyAllDeps, segment: number, segments: number) {
  for await (const page of paginateScan(
    { client: deps.dynamo },
    {
      TableName: deps.ledgerTable,
      Segment: segment,
      TotalSegments: segments,
      FilterExpression: 'sk = :audit',
      ExpressionAttributeValues: { ':audit': 'audit' },
      ProjectionExpression: 'pk, seq',
    },
  )) {
    for (const item of page.Items ?? []) yield item;
  }
}
