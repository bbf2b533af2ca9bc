import type { AuditRecord } from '../audit/audit-log.js';
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

/** The protection an object carries after the run's decision about it. */
export function stateAfter(run: Run, record: AuditRecord): string {
  const before = record.protectionBefore ?? NOT_RECORDED;
  switch (record.decision) {
    case 'encrypted':
      if (run.mode === 'envelope') return `envelope-${run.format ?? 'v3'}`;
      return run.mode === 'rewrap' ? before : run.mode;
    case 'superseded':
      return 'replaced by a newer write';
    default:
      // Re-wrapped objects keep their kind of protection under the new key; the rest are unchanged.
      return before;
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
    add(facts.statesBefore, record.protectionBefore ?? NOT_RECORDED);
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
