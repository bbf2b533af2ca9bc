import type { RunStore } from '../../runs/run-store.js';
import { displayS3Uri } from '../../s3-uri.js';
import type { AuditFinding } from '../audit-finding.js';
import { MULTISET_HASH_ALGORITHM, MultisetAccumulator, multisetDigest } from '../multiset-hash.js';
import {
  absentAsEmpty,
  anchorsOf,
  type LegacyTables,
  legacyRecordsOfBucket,
  legacyRecordsOfRun,
  objectChain,
  readAnchor,
} from './audit-tables.js';
import { type ChainedRecord, recordHash, runDigest, verifyChain } from './hash-chain.js';

export interface LegacyVerification {
  objects: number;
  records: number;
  findings: AuditFinding[];
  digest?: 'matches' | 'differs' | 'run not closed';
}

/**
 * A run's or a bucket's trail written before chunks (docs/audit.md, "Trails written before
 * chunks"): the hash chain of every object in scope (all its records, whichever run wrote them)
 * against the head its ledger anchor holds and, for a run, the digest it closed with. Names every
 * altered, removed or inserted record. A run's records are held to recompute its digest, as before.
 */
export async function verifyLegacyScope(
  deps: LegacyTables & { runs: Pick<RunStore, 'get'> },
  scope: { runId: string } | { bucket: string },
): Promise<LegacyVerification> {
  const objects = new Map<string, { bucket: string; key: string }>();
  const runRecords: ChainedRecord[] = [];
  const inScope =
    'runId' in scope ? legacyRecordsOfRun(deps, scope.runId) : legacyRecordsOfBucket(deps, scope.bucket);
  for await (const record of absentAsEmpty(inScope)) {
    objects.set(`${record.bucket}/${record.key}`, { bucket: record.bucket, key: record.key });
    if ('runId' in scope) runRecords.push(record);
  }
  // Objects whose records were all deleted still have their anchor.
  if ('bucket' in scope) {
    const prefix = `obj#${scope.bucket}/`;
    for await (const anchor of anchorsOf(deps, { bucket: scope.bucket })) {
      const key = anchor.pk.slice(prefix.length);
      objects.set(`${scope.bucket}/${key}`, { bucket: scope.bucket, key });
    }
  }
  const findings: AuditFinding[] = [];
  let records = 0;
  for (const { bucket, key } of objects.values()) {
    const chain = await objectChain(deps, bucket, key);
    records += chain.length;
    for (const problem of verifyChain(chain, await readAnchor(deps, bucket, key)))
      findings.push({ subject: displayS3Uri({ bucket, key }), ...problem });
  }
  if (!('runId' in scope)) return { objects: objects.size, records, findings };

  const run = await deps.runs.get(scope.runId);
  const subject = `run ${scope.runId}`;
  if (!run) {
    findings.push({ subject, record: 'run', problem: 'not found' });
    return { objects: objects.size, records, findings };
  }
  if (!run.auditDigest) return { objects: objects.size, records, findings, digest: 'run not closed' };
  if (
    recomputedDigest(run.digestAlgorithm, runRecords) === run.auditDigest &&
    runRecords.length === run.auditRecords
  )
    return { objects: objects.size, records, findings, digest: 'matches' };
  findings.push({
    subject,
    record: 'digest',
    problem: `its records no longer match the digest it closed with (${runRecords.length} records now, ${run.auditRecords} at close)`,
  });
  return { objects: objects.size, records, findings, digest: 'differs' };
}

/**
 * A run's digest recomputed from its records, by the algorithm it was closed with: the multiset
 * hash of the records' hashes (recomputed from their content, so an altered record changes it),
 * or for runs closed before it, SHA-256 over the sorted hashes.
 */
export function recomputedDigest(algorithm: string | undefined, records: ChainedRecord[]): string {
  if (algorithm === undefined) return runDigest(records);
  if (algorithm !== MULTISET_HASH_ALGORITHM) throw new Error(`unknown run digest algorithm ${algorithm}`);
  const accumulator = new MultisetAccumulator();
  for (const record of records) accumulator.add(recordHash(record));
  return multisetDigest(accumulator.value);
}
