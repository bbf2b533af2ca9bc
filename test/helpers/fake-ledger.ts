import type { AuditDecision, AuditLog, AuditRecord } from '../../shared/audit/audit-log.js';
import type {
  ClaimInput,
  ClaimResult,
  DecisionInput,
  FinishInput,
  Ledger,
  LedgerItem,
  ObjectRef,
} from '../../shared/ledger/ledger.js';

const keyOf = (ref: ObjectRef) => `${ref.operation}\n${ref.bucket}\n${ref.key}`;

/**
 * An in-memory {@link Ledger} with the DynamoDB ledger's conditions, simplified: a claim waits out a
 * live lease and refuses a finished item of the same run and ETag; finish, release and reconcile
 * need the owner. `events` lists every transition (and, shared with {@link FakeAudit}, every audit
 * record) in order, so tests can assert what happened and in which order.
 */
export class FakeLedger implements Ledger {
  readonly items = new Map<string, LedgerItem>();

  constructor(readonly events: string[] = []) {}

  put(item: Partial<LedgerItem> & ObjectRef): void {
    this.items.set(keyOf(item), {
      state: 'DONE',
      runId: 'R0',
      jobId: 'J0',
      attempts: 1,
      sourceEtag: '"e0"',
      mode: 'envelope',
      updatedAt: '2026-01-01T00:00:00.000Z',
      ...item,
    });
  }

  async get(ref: ObjectRef) {
    const item = this.items.get(keyOf(ref));
    return item && { ...item };
  }

  async claim(input: ClaimInput, now = new Date()): Promise<ClaimResult> {
    const held = this.items.get(keyOf(input));
    const claimable =
      !held ||
      held.state === 'RETRY' ||
      (held.state === 'IN_PROGRESS' && (held.leaseExpiresAt ?? 0) < now.getTime()) ||
      (held.state !== 'IN_PROGRESS' && (held.runId !== input.runId || held.sourceEtag !== input.sourceEtag));
    if (!claimable) {
      this.events.push(`claim refused ${input.operation}`);
      return { claimed: false, existing: { ...held } };
    }
    const { leaseSeconds, ...fields } = input;
    this.items.set(keyOf(input), {
      ...held,
      ...fields,
      state: 'IN_PROGRESS',
      leaseExpiresAt: now.getTime() + leaseSeconds * 1000,
      attempts: (held?.attempts ?? 0) + 1,
      updatedAt: now.toISOString(),
    });
    this.events.push(`claim ${input.operation}`);
    return { claimed: true, firstClaim: held === undefined };
  }

  async finish(ref: ObjectRef, owner: string, outcome: FinishInput, now = new Date()) {
    return this.transition(ref, owner, `finish ${outcome.state}`, {
      ...outcome,
      updatedAt: now.toISOString(),
    });
  }

  async release(ref: ObjectRef, owner: string, error: string, now = new Date()) {
    return this.transition(ref, owner, 'release', { state: 'RETRY', error, updatedAt: now.toISOString() });
  }

  async reconcile(existing: LedgerItem, outcome: FinishInput, now = new Date()) {
    return this.transition(existing, existing.owner ?? '', `reconcile ${outcome.state}`, {
      ...outcome,
      reconciled: true,
      updatedAt: now.toISOString(),
    });
  }

  async recordDecision(input: DecisionInput, now = new Date()) {
    const held = this.items.get(keyOf(input));
    const same = held && held.runId === input.runId && held.state !== 'IN_PROGRESS' && held.state !== 'RETRY';
    if ((held?.state === 'IN_PROGRESS' && (held.leaseExpiresAt ?? 0) >= now.getTime()) || same) {
      this.events.push(`decision refused ${input.state}`);
      return false;
    }
    this.items.set(keyOf(input), {
      sourceEtag: '',
      attempts: 0,
      ...held,
      ...input,
      mode: input.mode,
      updatedAt: now.toISOString(),
    } as LedgerItem);
    this.events.push(`decision ${input.state}`);
    return true;
  }

  async recordWrap(ref: ObjectRef, wrap: { keyArn: string; wrappedAt: string; resultEtag: string }) {
    const held = this.items.get(keyOf(ref));
    if (held) this.items.set(keyOf(ref), { ...held, ...wrap, pendingWrap: undefined });
    this.events.push('record wrap');
  }

  async recordPendingWrap(ref: ObjectRef, digest: string) {
    const held = this.items.get(keyOf(ref));
    if (held) this.items.set(keyOf(ref), { ...held, pendingWrap: digest });
    this.events.push('record pending wrap');
  }

  private transition(ref: ObjectRef, owner: string, event: string, fields: Partial<LedgerItem>): boolean {
    const held = this.items.get(keyOf(ref));
    if (held?.state !== 'IN_PROGRESS' || held.owner !== owner) {
      this.events.push(`${event} refused`);
      return false;
    }
    const { owner: _owner, leaseExpiresAt: _lease, ...rest } = held;
    this.items.set(keyOf(ref), { ...rest, ...fields } as LedgerItem);
    this.events.push(event);
    return true;
  }
}

/** An in-memory {@link AuditLog}: one record per (run, job), as the DynamoDB one keeps. */
export class FakeAudit implements AuditLog {
  readonly records: AuditRecord[] = [];

  constructor(readonly events: string[] = []) {}

  async append(record: AuditRecord) {
    if (this.records.some((r) => r.runId === record.runId && r.jobId === record.jobId)) return;
    this.records.push(record);
    this.events.push(`audit ${record.decision}`);
  }

  decisions(): AuditDecision[] {
    return this.records.map((r) => r.decision);
  }
}
