import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../shared/audit/audit-record.js';
import { chunkIdFor } from '../../../../shared/chunks/chunk-message.js';
import type { DecidedChunkDeps } from '../../../../shared/chunks/run-chunk.js';
import {
  INVENTORY_ROW_METHOD,
  SETTLE_CONCURRENCY,
  type SettleDeps,
  type SettledRow,
  settleRows,
} from '../../../../shared/inventory/settle-rows.js';

const at = new Date('2026-11-23T19:00:00Z');
const compliant = (key: string, etag?: string): SettledRow => ({
  bucket: 'b',
  key,
  jobId: `job-${key}`,
  etag,
  decision: { action: 'compliant', reason: 'SSE-S3' },
});

/** Deps whose commit of a decided chunk records what it was given, and how many ran at once. */
function recordingCommit(answer: (chunkId: string) => 'committed' | 'duplicate' = () => 'committed') {
  const commits: Array<{ ref: { runId: string; chunkId: string }; records: AuditRecord[] }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const deps: SettleDeps = {
    ...({
      s3: {},
      chunks: {},
      auditLocation: { bucket: 'audit', prefix: 'audit/' },
    } as unknown as DecidedChunkDeps),
    config: { leaseSeconds: 60, actor: 'scan' },
    now: () => at,
    commitDecided: async (ref, records) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      commits.push({ ref, records });
      inFlight -= 1;
      return answer(ref.chunkId);
    },
  };
  return { deps, commits, maxInFlight: () => maxInFlight };
}

describe('settleRows', () => {
  it("commits one decided chunk per origin, one record per row, with the ETag as a HEAD shows it and the count's reason", async () => {
    const { deps, commits } = recordingCommit();
    const committed = await settleRows(
      [
        {
          origin: 'inventory:f.csv:0:settled:0',
          rows: [
            compliant('a', 'abc'),
            {
              ...compliant('c'),
              versionId: 'v1',
              decision: { action: 'skip', reason: 'sse-c', detail: 'SSE-C' },
            },
            compliant('q', '"quoted"'),
          ],
        },
      ],
      { runId: 'r1', mode: 'sse-s3' },
      deps,
    );
    expect(committed).toBe(3);
    expect(commits).toHaveLength(1);
    expect(commits[0]!.ref).toEqual({
      runId: 'r1',
      chunkId: chunkIdFor('r1', 'inventory:f.csv:0:settled:0'),
    });
    const [a, c, q] = commits[0]!.records;
    expect(a).toEqual({
      decision: 'compliant',
      runId: 'r1',
      jobId: 'job-a',
      actor: 'scan',
      bucket: 'b',
      key: 'a',
      mode: 'sse-s3',
      etagBefore: '"abc"',
      method: INVENTORY_ROW_METHOD,
      reason: 'SSE-S3',
      at: at.toISOString(),
    });
    // A skip's reason is the one the HEAD path counts it under.
    expect(c).toEqual({
      decision: 'skipped',
      runId: 'r1',
      jobId: 'job-c',
      actor: 'scan',
      bucket: 'b',
      key: 'c',
      mode: 'sse-s3',
      versionIdBefore: 'v1',
      method: INVENTORY_ROW_METHOD,
      reason: 'sse-c',
      at: at.toISOString(),
    });
    expect(q!.etagBefore).toBe('"quoted"');
  });

  it(`commits every chunk, at most ${SETTLE_CONCURRENCY} at once, and counts only those it committed`, async () => {
    const chunks = Array.from({ length: 20 }, (_, n) => ({
      origin: `inventory:f:0:settled:${n}`,
      rows: Array.from({ length: 100 }, (_, i) => compliant(`k${n}-${i}`, 'e')),
    }));
    const duplicate = chunkIdFor('r', 'inventory:f:0:settled:3');
    const { deps, commits, maxInFlight } = recordingCommit((id) =>
      id === duplicate ? 'duplicate' : 'committed',
    );
    expect(await settleRows(chunks, { runId: 'r', mode: 'sse-s3' }, deps)).toBe(1900);
    expect(commits.map((c) => c.ref.chunkId).sort()).toEqual(
      chunks.map((c) => chunkIdFor('r', c.origin)).sort(),
    );
    expect(commits.every((c) => c.records.length === 100)).toBe(true);
    expect(maxInFlight()).toBe(SETTLE_CONCURRENCY);
  });

  it('fails as the commit fails (the data file chunk is redelivered and commits again)', async () => {
    const { deps } = recordingCommit();
    deps.commitDecided = async () => Promise.reject(new Error('throttled'));
    await expect(
      settleRows([{ origin: 'o', rows: [compliant('a', 'e')] }], { runId: 'r', mode: 'sse-s3' }, deps),
    ).rejects.toThrow('throttled');
  });

  it('commits nothing for no chunks', async () => {
    const { deps, commits } = recordingCommit();
    expect(await settleRows([], { runId: 'r', mode: 'sse-s3' }, deps)).toBe(0);
    expect(commits).toEqual([]);
  });
});
