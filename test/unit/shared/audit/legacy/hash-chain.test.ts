import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../../shared/audit/audit-record.js';
import {
  type ChainAnchor,
  type ChainedRecord,
  GENESIS,
  recordHash,
  runDigest,
  verifyChain,
} from '../../../../../shared/audit/legacy/hash-chain.js';
import { canonicalJson } from '../../../../../shared/chunks/canonical-json.js';
import { chain } from '../../../../helpers/legacy-trail.js';

const decision = (runId: string, decision: AuditRecord['decision']): AuditRecord => ({
  decision,
  runId,
  jobId: `job-${runId}`,
  actor: 'worker:1',
  bucket: 'b',
  key: 'k',
  mode: 'envelope',
  at: '2026-11-23T10:00:00.000Z',
});

/** Three decisions on one object, chained as the audit log appends them. */
function history(): { records: ChainedRecord[]; anchor: ChainAnchor } {
  const records: ChainedRecord[] = [];
  let anchor: ChainAnchor | undefined;
  for (const [run, d] of [
    ['r1', 'encrypted'],
    ['r2', 'compliant'],
    ['r3', 'rewrapped'],
  ] as const) {
    const record = chain(decision(run, d), anchor);
    records.push(record);
    anchor = { head: record.hash, seq: record.seq };
  }
  return { records, anchor: anchor! };
}

describe('the audit hash chain', () => {
  it('is canonical: key order and undefined fields do not change the hash', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 'x' }] })).toBe('{"a":[2,{"c":"x"}],"b":1}');
    const { records } = history();
    const reordered = Object.fromEntries(Object.entries(records[0]!).reverse()) as unknown as ChainedRecord;
    expect(recordHash(reordered)).toBe(records[0]!.hash);
  });

  it('links each record to the one before, starting from the genesis hash', () => {
    const { records } = history();
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]!.prevHash).toBe(GENESIS);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    expect(verifyChain(records, history().anchor)).toEqual([]);
  });

  it('names an altered record', () => {
    const { records, anchor } = history();
    records[1] = { ...records[1]!, decision: 'skipped' };
    expect(verifyChain(records, anchor)).toEqual([
      { record: 'run r2 job job-r2', problem: 'altered: its hash does not match its content' },
    ]);
  });

  it('names an altered record even when its hash was recomputed', () => {
    const { records, anchor } = history();
    const forged = { ...records[1]!, reason: 'nothing to see' };
    records[1] = { ...forged, hash: recordHash(forged) };
    expect(verifyChain(records, anchor)).toEqual([
      {
        record: 'run r3 job job-r3',
        problem: 'inserted or reordered: it does not link to the record before it',
      },
    ]);
  });

  it('names a removed record, in the middle or at the head', () => {
    const { records, anchor } = history();
    expect(verifyChain([records[0]!, records[2]!], anchor)).toEqual([
      { record: 'sequence 2', problem: 'removed: missing from the chain' },
    ]);
    expect(verifyChain(records.slice(0, 2), anchor)).toEqual([
      { record: 'sequence 3', problem: 'removed: missing from the chain' },
    ]);
  });

  it('names an inserted record: a forged next link, or a second record at a taken sequence', () => {
    const { records, anchor } = history();
    const appended = chain(decision('r9', 'compliant'), anchor);
    expect(verifyChain([...records, appended], anchor)).toEqual([
      { record: 'run r9 job job-r9', problem: 'inserted: beyond the head the ledger anchors' },
    ]);
    const twin = chain(decision('r8', 'skipped'), { head: records[0]!.hash, seq: 1 });
    const problems = verifyChain([...records, twin], anchor);
    expect(problems.map((p) => p.record)).toEqual(['run r2 job job-r2', 'run r8 job job-r8']);
    expect(problems[0]!.problem).toMatch(/^inserted: sequence 2 is taken 2 times/);
  });

  it('flags records without an anchor', () => {
    expect(verifyChain(history().records, undefined)).toContainEqual({
      record: 'anchor',
      problem: 'missing: records exist but the ledger anchors none',
    });
  });

  it('digests a run independently of the order records are read in', () => {
    const { records } = history();
    expect(runDigest([...records].reverse())).toBe(runDigest(records));
    expect(runDigest(records.slice(1))).not.toBe(runDigest(records));
  });
});
