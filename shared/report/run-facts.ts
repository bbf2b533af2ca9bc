import type { AuditRecord } from '../audit/audit-record.js';
import type { Run } from '../runs/run-store.js';
import { reasonOf } from './remedies.js';

/** Objects a report names per reason: enough to act on, bounded for a run of millions. */
export const SAMPLE_PER_REASON = 20;

/** Unknown when the record predates `protectionBefore` (or was reconciled after a crash). */
export const NOT_RECORDED = 'not recorded';

export interface ReasonGroup {
  reason: string;
  decision: AuditRecord['decision'];
  count: number;
  sample: AuditRecord[];
}

export interface RunFacts {
  /** Objects by protection before the run's decision, and after it. */
  statesBefore: Record<string, number>;
  statesAfter: Record<string, number>;
  /** Outcome (with its reason for anything not protected), for the outcomes chart. */
  outcomes: Record<string, number>;
  /** Bytes of the objects the run protected (re-wrapped), and of every object it decided. */
  bytesProtected: number;
  bytesDecided: number;
  /** Objects whose size no record gave (records written before sizes were kept). */
  sizesUnknown: number;
  /**
   * KMS keys the objects the run protected were under before: the server-side key a HEAD showed,
   * or a re-wrap's source key (an envelope's wrapping key is not in its HEAD).
   */
  sourceKeys: Record<string, number>;
  actors: string[];
  firstAt?: string;
  lastAt?: string;
  /** Skipped, superseded and failed objects grouped by reason, biggest group first. */
  problems: ReasonGroup[];
}

const KMS_STATES = new Set(['sse-kms', 'dsse-kms']);
const reWraps = (record: AuditRecord) => record.decision === 'rewrapped' || record.decision === 'encrypted';

/**
 * The protection an object carried before the run's decision, with the key where it matters: an
 * SSE-KMS object under the run's (target) key or another one, and for a re-wrap the source key,
 * so that a re-keying shows as a move from one row to another.
 */
export function stateBefore(run: Run, record: AuditRecord): string {
  const state = record.protectionBefore ?? NOT_RECORDED;
  if (run.mode === 'rewrap' && reWraps(record) && state !== NOT_RECORDED) return `${state} (source key)`;
  if (!KMS_STATES.has(state) || !record.keyArnBefore) return state;
  return `${state} (${record.keyArnBefore === run.keyArn ? 'target' : 'other'} key)`;
}

/** The protection an object carries after the run's decision about it. */
export function stateAfter(run: Run, record: AuditRecord): string {
  switch (record.decision) {
    case 'encrypted':
    case 'rewrapped':
      if (run.mode === 'rewrap') return `${record.protectionBefore ?? NOT_RECORDED} (target key)`;
      if (run.mode === 'envelope') return `envelope-${run.format ?? 'v3'}`;
      return run.mode === 'sse-kms' ? 'sse-kms (target key)' : run.mode;
    case 'superseded':
      return 'replaced by a newer write';
    default:
      // Compliant, skipped and failed objects are as they were.
      return stateBefore(run, record);
  }
}

const add = (counts: Record<string, number>, name: string, n = 1) => {
  counts[name] = (counts[name] ?? 0) + n;
};

/** Everything the report shows that comes from the run's audit records, in one pass. */
export function runFacts(run: Run, records: AuditRecord[]): RunFacts {
  const facts: RunFacts = {
    statesBefore: {},
    statesAfter: {},
    outcomes: {},
    bytesProtected: 0,
    bytesDecided: 0,
    sizesUnknown: 0,
    sourceKeys: {},
    actors: [],
    problems: [],
  };
  const actors = new Set<string>();
  const groups = new Map<string, ReasonGroup>();
  for (const record of records) {
    add(facts.statesBefore, stateBefore(run, record));
    add(facts.statesAfter, stateAfter(run, record));
    actors.add(record.actor);
    if (!facts.firstAt || record.at < facts.firstAt) facts.firstAt = record.at;
    if (!facts.lastAt || record.at > facts.lastAt) facts.lastAt = record.at;
    const protectedNow = record.decision === 'encrypted' || record.decision === 'rewrapped';
    if (record.size === undefined) facts.sizesUnknown += 1;
    else {
      facts.bytesDecided += record.size;
      if (protectedNow) facts.bytesProtected += record.size;
    }
    const source =
      record.keyArnBefore ?? (run.mode === 'rewrap' && protectedNow ? run.fromKeyArn : undefined);
    if (source && protectedNow) add(facts.sourceKeys, source);
    if (protectedNow || record.decision === 'compliant') {
      add(facts.outcomes, record.decision === 'compliant' ? 'already compliant' : record.decision);
      continue;
    }
    const reason = reasonOf(record);
    add(facts.outcomes, `${record.decision}: ${reason}`);
    const id = `${record.decision}\u0000${reason}`;
    const group = groups.get(id) ?? { reason, decision: record.decision, count: 0, sample: [] };
    group.count += 1;
    group.sample.push(record);
    groups.set(id, group);
  }
  facts.actors = [...actors].sort();
  facts.problems = [...groups.values()]
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1))
    .map((group) => ({
      ...group,
      sample: group.sample
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .slice(0, SAMPLE_PER_REASON),
    }));
  return facts;
}

/**
 * The run as the report shows it. A live-enforcement (watch) run has no run item, only its
 * decisions (shared/runs/run-store.ts): its bucket, mode and start come from its records.
 */
export function reportedRun(run: Run, records: AuditRecord[]): Run {
  if (run.bucket && run.startedAt && run.mode) return run;
  const first = records.reduce<AuditRecord | undefined>((a, r) => (!a || r.at < a.at ? r : a), undefined);
  const buckets = [...new Set(records.map((r) => r.bucket))];
  return {
    ...run,
    bucket: run.bucket ?? (buckets.length === 1 ? buckets[0]! : '*'),
    prefix: run.prefix ?? '',
    mode: run.mode ?? ((first?.mode ?? 'unknown') as Run['mode']),
    startedAt: run.startedAt ?? first?.at ?? '',
  };
}
