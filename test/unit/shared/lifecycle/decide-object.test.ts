import { describe, expect, it } from 'vitest';
import { InjectedCrashError, RetryableError } from '../../../../shared/errors.js';
import { DeadlineReachedError, JobDeadline } from '../../../../shared/lifecycle/deadline.js';
import { decideObject } from '../../../../shared/lifecycle/decide-object.js';
import type { AttemptView, ObjectOperation, Plan } from '../../../../shared/lifecycle/object-operation.js';
import type { ObjectHead } from '../../../../shared/s3/object-head.js';

const head = (etag = '"e1"'): ObjectHead =>
  ({
    bucket: 'b',
    key: 'k',
    etag,
    size: 10,
    metadata: {},
    headers: {},
    lastModified: new Date('2026-12-07T00:00:05Z'),
  }) as unknown as ObjectHead;

const attempt = (recovering = false): AttemptView => ({
  recovering,
  claimedSince: new Date('2026-12-07T00:00:00Z'),
  salt: Buffer.alloc(16, 1),
  earlierSalts: recovering ? [Buffer.alloc(16, 2)] : [],
  chunk: { runId: 'R', chunkId: 'c'.repeat(24) },
  owner: 'me',
});

const deps = { config: { actor: 'tester', leaseSeconds: 60 }, now: () => new Date('2026-12-07T00:01:00Z') };

function operation(
  plan: (h: ObjectHead) => Plan<string> | Promise<Plan<string>>,
  over: Partial<ObjectOperation<string>> = {},
) {
  const op: ObjectOperation<string> = {
    job: { bucket: 'b', key: 'k', runId: 'R', jobId: 'J', mode: 'sse-kms' },
    read: async () => head(),
    decide: async (h) => plan(h),
    landed: () => true,
    reconciled: (h) => ({
      decision: 'encrypted',
      audit: { etagAfter: h.etag },
      result: { outcome: 'encrypted' },
    }),
    ...over,
  };
  return op;
}

const writePlan = (write: () => Promise<string>, h: ObjectHead): Plan<string> => ({
  action: 'write',
  head: h,
  method: 'copy-in-place',
  estimateMs: 1000,
  write,
  complete: async (etag) => ({
    decision: 'encrypted',
    audit: { etagAfter: etag },
    result: { outcome: 'encrypted' },
  }),
});

describe('decideObject', () => {
  it('records a missing object as skipped without deciding', async () => {
    const out = await decideObject(
      operation(
        () => {
          throw new Error('not asked');
        },
        { read: async () => undefined },
      ),
      deps,
      attempt(),
    );
    expect(out.result).toEqual({ outcome: 'skipped', reason: 'missing' });
    expect(out.record).toMatchObject({
      decision: 'skipped',
      reason: 'missing',
      bucket: 'b',
      key: 'k',
      runId: 'R',
      jobId: 'J',
      actor: 'tester',
      at: '2026-12-07T00:01:00.000Z',
    });
  });

  it('records a write with the state before and the result after', async () => {
    const out = await decideObject(
      operation((h) => writePlan(async () => '"e2"', h)),
      deps,
      attempt(),
    );
    expect(out.record).toMatchObject({
      decision: 'encrypted',
      etagBefore: '"e1"',
      etagAfter: '"e2"',
      method: 'copy-in-place',
    });
    expect(out.result.outcome).toBe('encrypted');
  });

  it('a lost ETag condition is superseded, counted as object-changed', async () => {
    const lost = Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const out = await decideObject(
      operation((h) =>
        writePlan(async () => {
          throw lost;
        }, h),
      ),
      deps,
      attempt(),
    );
    expect(out.record).toMatchObject({ decision: 'superseded', reason: 'object changed during processing' });
    expect(out.result).toEqual({ outcome: 'superseded', reason: 'object-changed' });
  });

  it('a permanent write error fails this object only; a passing one is thrown for the chunk', async () => {
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const failed = await decideObject(
      operation((h) =>
        writePlan(async () => {
          throw denied;
        }, h),
      ),
      deps,
      attempt(),
    );
    expect(failed.record).toMatchObject({ decision: 'failed', reason: 'PermanentError' });
    expect(failed.record?.error).toContain('Access Denied');
    const slow = Object.assign(new Error('Slow Down'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    await expect(
      decideObject(
        operation((h) =>
          writePlan(async () => {
            throw slow;
          }, h),
        ),
        deps,
        attempt(),
      ),
    ).rejects.toBeInstanceOf(RetryableError);
  });

  it('a permanent HEAD error is the object failure, not the chunk', async () => {
    const denied = Object.assign(new Error('Forbidden'), {
      name: 'Forbidden',
      $metadata: { httpStatusCode: 403 },
    });
    const out = await decideObject(
      operation(
        () => {
          throw new Error('not asked');
        },
        {
          read: async () => {
            throw denied;
          },
        },
      ),
      deps,
      attempt(),
    );
    expect(out.record?.decision).toBe('failed');
  });

  it('reconciles a compliant object only in a recovering attempt whose write landed', async () => {
    const compliant = () => ({ action: 'decide' as const, state: 'COMPLIANT' as const, reason: 'sse-kms' });
    const fresh = await decideObject(operation(compliant), deps, attempt(false));
    expect(fresh.record).toMatchObject({ decision: 'compliant', reason: 'sse-kms' });
    const recovered = await decideObject(operation(compliant), deps, attempt(true));
    expect(recovered.record).toMatchObject({ decision: 'encrypted', reconciled: true, etagAfter: '"e1"' });
    const notOurs = await decideObject(operation(compliant, { landed: () => false }), deps, attempt(true));
    expect(notOurs.record?.decision).toBe('compliant');
  });

  it('starts no write the deadline cannot fit, and passes injected crashes through', async () => {
    let wrote = false;
    const tight = { ...deps, deadline: new JobDeadline(() => 500, { marginMs: 100 }) };
    await expect(
      decideObject(
        operation((h) =>
          writePlan(async () => {
            wrote = true;
            return '"e2"';
          }, h),
        ),
        tight,
        attempt(),
      ),
    ).rejects.toBeInstanceOf(DeadlineReachedError);
    expect(wrote).toBe(false);
    await expect(
      decideObject(
        operation((h) =>
          writePlan(async () => {
            throw new InjectedCrashError('after-data-key');
          }, h),
        ),
        deps,
        attempt(),
      ),
    ).rejects.toBeInstanceOf(InjectedCrashError);
  });

  it('a handed-off object has no record here', async () => {
    const out = await decideObject(
      operation(() => ({ action: 'handed-off', result: { outcome: 'duplicate', detail: 'large' } })),
      deps,
      attempt(),
    );
    expect(out).toEqual({ result: { outcome: 'duplicate', detail: 'large' } });
  });

  it('releases what the read holds once, however the object ends', async () => {
    const tight = { ...deps, deadline: new JobDeadline(() => 0, { marginMs: 0 }) };
    const ends: Array<[string, (h: ObjectHead) => Plan<string>, typeof deps, boolean]> = [
      ['decided', () => ({ action: 'decide', state: 'COMPLIANT', reason: 'ok' }), deps, false],
      ['written', (h) => writePlan(async () => '"e2"', h), deps, false],
      [
        'superseded',
        (h) =>
          writePlan(async () => {
            throw Object.assign(new Error('412'), { name: 'PreconditionFailed' });
          }, h),
        deps,
        false,
      ],
      ['handed off', () => ({ action: 'handed-off', result: { outcome: 'duplicate' } }), deps, false],
      ['deadline', (h) => writePlan(async () => '"e2"', h), tight, true],
      [
        'crash',
        (h) =>
          writePlan(async () => {
            throw new InjectedCrashError('after-data-key');
          }, h),
        deps,
        true,
      ],
    ];
    for (const [name, plan, using, throws] of ends) {
      const released: string[] = [];
      const op = operation(plan, { release: () => released.push(name) });
      const decided = decideObject(op, using, attempt());
      if (throws) await expect(decided, name).rejects.toThrow();
      else await decided;
      expect(released, name).toEqual([name]);
    }
    const released: string[] = [];
    await decideObject(
      operation(() => ({ action: 'decide', state: 'COMPLIANT', reason: 'ok' }), {
        read: async () => {
          throw Object.assign(new Error('denied'), {
            name: 'AccessDenied',
            $metadata: { httpStatusCode: 403 },
          });
        },
        release: () => released.push('read failed'),
      }),
      deps,
      attempt(),
    );
    expect(released).toEqual(['read failed']);
  });
});
