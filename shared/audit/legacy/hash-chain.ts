import { createHash } from 'node:crypto';
import { canonicalJson } from '../../chunks/canonical-json.js';
import type { AuditRecord } from '../audit-record.js';

/**
 * The per-object hash chains of trails written before chunks (docs/audit.md, "Trails written before
 * chunks"): read only. Each object's records were linked by `prevHash` and numbered by `seq`, and
 * the ledger anchored each chain's head (item `audit` of the object).
 */

/** The first record of every object's chain points at this. */
export const GENESIS = '0'.repeat(64);

/** An audit record as stored: the decision plus its place in the object's chain. */
export interface ChainedRecord extends AuditRecord {
  /** 1 for an object's first record, then +1 per record. */
  seq: number;
  prevHash: string;
  /** SHA-256 over every other field (canonical JSON), prevHash included. */
  hash: string;
}

/** Where an object's chain ends, kept on the ledger (item `audit`) by the same transaction. */
export interface ChainAnchor {
  head: string;
  seq: number;
}

export function recordHash(record: Omit<ChainedRecord, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...content } = record;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

export interface ChainProblem {
  /** The record concerned (its run and job), or the anchor. */
  record: string;
  problem: string;
}

const name = (r: Pick<AuditRecord, 'runId' | 'jobId'>) => `run ${r.runId} job ${r.jobId}`;

/**
 * Checks one object's records against its anchor and names every record that was altered
 * (hash does not match its content), removed (a gap, or the anchor counts more), or inserted
 * (a sequence number taken twice, a link that skips, or records past the anchor's head).
 */
export function verifyChain(records: ChainedRecord[], anchor: ChainAnchor | undefined): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const bySeq = new Map<number, ChainedRecord[]>();
  for (const r of sorted) bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r]);
  for (const r of sorted) {
    if (recordHash(r) !== r.hash)
      problems.push({ record: name(r), problem: 'altered: its hash does not match its content' });
  }
  for (const [seq, same] of bySeq) {
    if (same.length > 1) {
      for (const r of same)
        problems.push({
          record: name(r),
          problem: `inserted: sequence ${seq} is taken ${same.length} times`,
        });
    }
  }
  const last = anchor?.seq ?? 0;
  let expectedPrev = GENESIS;
  for (let seq = 1; seq <= Math.max(last, sorted.at(-1)?.seq ?? 0); seq++) {
    const at = bySeq.get(seq);
    if (!at) {
      problems.push({
        record: `sequence ${seq}`,
        problem: seq <= last ? 'removed: missing from the chain' : 'gap',
      });
      expectedPrev = '';
      continue;
    }
    if (at.length === 1) {
      const r = at[0]!;
      if (expectedPrev && r.prevHash !== expectedPrev) {
        problems.push({
          record: name(r),
          problem: 'inserted or reordered: it does not link to the record before it',
        });
      }
      if (seq > last)
        problems.push({ record: name(r), problem: 'inserted: beyond the head the ledger anchors' });
      expectedPrev = r.hash;
    } else {
      expectedPrev = '';
    }
  }
  if (anchor && last > 0 && bySeq.get(last)?.length === 1 && bySeq.get(last)![0]!.hash !== anchor.head) {
    problems.push({
      record: name(bySeq.get(last)![0]!),
      problem: 'altered or replaced: the ledger anchors a different head',
    });
  }
  if (!anchor && sorted.length > 0)
    problems.push({ record: 'anchor', problem: 'missing: records exist but the ledger anchors none' });
  return problems;
}

/** A run's digest: SHA-256 over its records' hashes in (object, sequence) order. */
export function runDigest(records: ChainedRecord[]): string {
  const ordered = records
    .map((r) => `${r.bucket}/${r.key}\u0000${String(r.seq).padStart(10, '0')}\u0000${r.hash}`)
    .sort();
  return createHash('sha256').update(ordered.join('\n')).digest('hex');
}
