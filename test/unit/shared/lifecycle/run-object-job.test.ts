import { describe, expect, it } from 'vitest';
import {
  InjectedCrashError,
  LeaseHeldError,
  PermanentError,
  RetryableError,
} from '../../../../shared/errors.js';
import { DeadlineReachedError, JobDeadline } from '../../../../shared/lifecycle/deadline.js';
import type { LifecycleDeps, ObjectOperation, Plan } from '../../../../shared/lifecycle/object-operation.js';
import { runObjectJob } from '../../../../shared/lifecycle/run-object-job.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';
import { LocalClaims } from '../../../../shared/worker/local-claims.js';
import { FakeAudit, FakeLedger } from '../../../helpers/fake-ledger.js';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const ref = { bucket: 'b', key: 'k', operation: 'encrypt' as const };
const head = {
  bucket: 'b',
  key: 'k',
  etag: '"e1"',
  size: 10,
  metadata: {},
  headers: {},
} as unknown as ObjectHead;

function world() {
  const events: string[] = [];
  const ledger = new FakeLedger(events);
  const audit = new FakeAudit(events);
  const deps: LifecycleDeps = {
    ledger,
    audit,
    config: { leaseSeconds: 900, actor: 'test' },
    owner: 'me',
    now: () => NOW,
  };
  return { events, ledger, audit, deps };
}

/** A fake operation: its plan writes unless told otherwise; the write logs itself, then `write`. */
function operation(
  events: string[],
  options: {
    plan?: (h: ObjectHead) => Plan<string>;
    write?: () => Promise<string>;
    landed?: boolean;
    readsItemFirst?: boolean;
    estimateMs?: number;
  } = {},
): ObjectOperation<string> {
  const writePlan: Plan<string> = {
    action: 'write',
    head,
    method: 'copy-in-place',
    estimateMs: options.estimateMs ?? 1000,
    write: async () => {
      events.push('write');
      return options.write ? options.write() : '"e2"';
    },
    complete: async (etag) => ({
      decision: 'encrypted',
      finish: { state: 'DONE', resultEtag: etag },
      audit: { etagAfter: etag },
      result: { outcome: 'encrypted' },
    }),
  };
  return {
    job: { ...ref, runId: 'R1', jobId: 'J1', mode: 'sse-s3' },
    read: async () => head,
    readsItemFirst: options.readsItemFirst,
    decide: async (h) => options.plan?.(h) ?? writePlan,
    landed: () => options.landed ?? false,
    reconciled: (_item, h) => ({
      decision: 'encrypted',
      finish: { state: 'DONE', resultEtag: h.etag },
      audit: { etagAfter: h.etag },
      result: { outcome: 'encrypted', detail: 'reconciled after a crash' },
    }),
  };
}

const compliant = (): Plan<string> => ({ action: 'decide', state: 'COMPLIANT', reason: 'already', head });
const failing = (error: unknown) => async (): Promise<string> => Promise.reject(error);

describe('the job lifecycle', () => {
  it('claims, writes, then lands the audit record before the finish', async () => {
    const { events, ledger, deps } = world();
    expect(await runObjectJob(operation(events), deps)).toEqual({ outcome: 'encrypted' });
    expect(events).toEqual(['claim encrypt', 'write', 'audit encrypted', 'finish DONE']);
    expect(await ledger.get(ref)).toMatchObject({ state: 'DONE', resultEtag: '"e2"' });
  });

  it('is a duplicate, without writing, when another delivery already finished the claim', async () => {
    const { events, ledger, deps } = world();
    ledger.put({ ...ref, state: 'DONE', runId: 'R1', sourceEtag: '"e1"' });
    expect(await runObjectJob(operation(events), deps)).toMatchObject({ outcome: 'duplicate' });
    expect(events).toEqual(['claim refused encrypt']);
  });

  it('throws LeaseHeldError (to come back after the lease) while another attempt holds a live claim', async () => {
    const { events, ledger, deps } = world();
    ledger.put({ ...ref, state: 'IN_PROGRESS', owner: 'other', leaseExpiresAt: NOW.getTime() + 30_000 });
    const error = await runObjectJob(operation(events), deps).catch((e) => e);
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect(error.retryAfterSeconds).toBe(30);
    expect(events).not.toContain('write');
  });

  it('takes over at once a claim whose local owner process is proven dead', async () => {
    const { events, ledger, deps } = world();
    ledger.put({ ...ref, state: 'IN_PROGRESS', owner: 'dead', leaseExpiresAt: NOW.getTime() + 600_000 });
    const local = new LocalClaims(
      (owner) => owner === 'dead',
      () => 'me',
    );
    expect(await runObjectJob(operation(events), { ...deps, local })).toEqual({ outcome: 'encrypted' });
    expect(events).toEqual([
      'claim refused encrypt',
      'release',
      'claim encrypt',
      'write',
      'audit encrypted',
      'finish DONE',
    ]);
  });

  it('records SUPERSEDED when the conditional write finds the object changed', async () => {
    const { events, ledger, audit, deps } = world();
    const preconditionFailed = Object.assign(new Error('At least one of the pre-conditions'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const result = await runObjectJob(operation(events, { write: failing(preconditionFailed) }), deps);
    expect(result).toEqual({ outcome: 'superseded', reason: 'object-changed' });
    expect(events.slice(-2)).toEqual(['audit superseded', 'finish SUPERSEDED']);
    expect(await ledger.get(ref)).toMatchObject({ state: 'SUPERSEDED' });
    expect(audit.records[0]?.reason).toBe('object changed during processing');
  });

  it('records SKIPPED (missing) when the object was deleted before the write', async () => {
    const { events, ledger, deps } = world();
    const gone = Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    const result = await runObjectJob(operation(events, { write: failing(gone) }), deps);
    expect(result).toEqual({ outcome: 'skipped', reason: 'missing' });
    expect(await ledger.get(ref)).toMatchObject({ state: 'SKIPPED', reason: 'missing' });
  });

  it('records FAILED for a permanent error, and does not throw', async () => {
    const { events, ledger, audit, deps } = world();
    const result = await runObjectJob(
      operation(events, { write: failing(new PermanentError('key disabled')) }),
      deps,
    );
    expect(result).toMatchObject({ outcome: 'failed', detail: 'key disabled' });
    expect(await ledger.get(ref)).toMatchObject({ state: 'FAILED', error: 'key disabled' });
    expect(audit.decisions()).toEqual(['failed']);
  });

  it('releases the claim and rethrows a passing error, auditing nothing', async () => {
    const { events, ledger, audit, deps } = world();
    const throttled = Object.assign(new Error('slow down'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    await expect(runObjectJob(operation(events, { write: failing(throttled) }), deps)).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(events).toEqual(['claim encrypt', 'write', 'release']);
    expect(await ledger.get(ref)).toMatchObject({ state: 'RETRY' });
    expect(audit.records).toEqual([]);
  });

  it('keeps the claim when the process crashes (no release): the lease or a reconcile ends it', async () => {
    const { events, ledger, deps } = world();
    await expect(
      runObjectJob(operation(events, { write: failing(new InjectedCrashError('after-data-key')) }), deps),
    ).rejects.toBeInstanceOf(InjectedCrashError);
    expect(await ledger.get(ref)).toMatchObject({ state: 'IN_PROGRESS', owner: 'me' });
  });

  it('reconciles a crash after the write: the object shows our write, so it closes the claim without writing', async () => {
    const { events, ledger, audit, deps } = world();
    ledger.put({
      ...ref,
      state: 'IN_PROGRESS',
      runId: 'R1',
      jobId: 'J1',
      owner: 'crashed',
      leaseExpiresAt: NOW.getTime() + 600_000,
    });
    const result = await runObjectJob(operation(events, { plan: compliant, landed: true }), deps);
    expect(result).toEqual({ outcome: 'encrypted', detail: 'reconciled after a crash' });
    expect(events).toEqual(['audit encrypted', 'reconcile DONE']);
    expect(audit.records[0]).toMatchObject({ reconciled: true, etagAfter: '"e1"' });
    expect(await ledger.get(ref)).toMatchObject({ state: 'DONE', reconciled: true });
  });

  it('reconciles a write that landed before a passing error gave the claim back (RETRY)', async () => {
    const { events, ledger, deps } = world();
    ledger.put({ ...ref, state: 'RETRY', runId: 'R1', jobId: 'J1', method: 'copy-in-place' });
    const result = await runObjectJob(operation(events, { plan: compliant, landed: true }), deps);
    expect(result).toMatchObject({ outcome: 'encrypted' });
    expect(events).toEqual(['claim encrypt', 'audit encrypted', 'finish DONE']);
    expect(await ledger.get(ref)).toMatchObject({ state: 'DONE', reconciled: true });
  });

  it('records a plain compliant decision when the unfinished claim is not proven to have landed', async () => {
    const { events, ledger, deps } = world();
    ledger.put({ ...ref, state: 'RETRY', runId: 'R1', jobId: 'J1' });
    expect(await runObjectJob(operation(events, { plan: compliant, landed: false }), deps)).toMatchObject({
      outcome: 'compliant',
    });
    expect(events).toEqual(['decision COMPLIANT', 'audit compliant']);
  });

  it('re-appends the audit record of a decision that an earlier delivery recorded and died before auditing', async () => {
    const { events, ledger, audit, deps } = world();
    ledger.put({ ...ref, state: 'COMPLIANT', runId: 'R1', jobId: 'J1' });
    expect(await runObjectJob(operation(events, { plan: compliant }), deps)).toMatchObject({
      outcome: 'duplicate',
    });
    expect(audit.decisions()).toEqual(['compliant']);
  });

  it('is a duplicate at once when this very job already finished with these bytes', async () => {
    const { events, ledger, deps } = world();
    ledger.put({ ...ref, state: 'DONE', runId: 'R1', jobId: 'J1', resultEtag: '"e1"' });
    const result = await runObjectJob(operation(events, { readsItemFirst: true }), deps);
    expect(result).toMatchObject({ outcome: 'duplicate' });
    expect(events).toEqual([]);
  });

  it('does not claim work it cannot finish before the deadline', async () => {
    const { events, ledger, deps } = world();
    const deadline = new JobDeadline(() => 30_000, { marginMs: 10_000, functionTimeoutMs: 300_000 });
    await expect(
      runObjectJob(operation(events, { estimateMs: 25_000 }), { ...deps, deadline }),
    ).rejects.toBeInstanceOf(DeadlineReachedError);
    expect(events).toEqual([]);
    expect(await ledger.get(ref)).toBeUndefined();
    // The same work fits a fresh invocation.
    const fresh = new JobDeadline(() => 290_000, { marginMs: 10_000, functionTimeoutMs: 300_000 });
    expect(
      await runObjectJob(operation(events, { estimateMs: 25_000 }), { ...deps, deadline: fresh }),
    ).toEqual({
      outcome: 'encrypted',
    });
  });
});
