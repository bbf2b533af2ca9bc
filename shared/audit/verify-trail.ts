import type { RunStore } from '../runs/run-store.js';
import type { AuditFinding } from './audit-finding.js';
import { type ChunkSource, hasChunkTrail } from './chunk-source.js';
import type { EventChunkExpiry } from './expired-event-log.js';
import { ExpiredEventLogs } from './expired-event-logs.js';
import type { LegacyTables } from './legacy/audit-tables.js';
import { type VerifyAllProgress, verifyLegacyAll } from './legacy/verify-legacy-all.js';
import { verifyLegacyScope } from './legacy/verify-legacy-scope.js';
import { type RunVerification, verifyRun } from './verify-run.js';

export interface TrailDeps {
  source: ChunkSource;
  runs: Pick<RunStore, 'get' | 'getWithTally' | 'allRunIds'>;
  /** The tables of trails written before chunks (docs/audit.md, "Trails written before chunks"). */
  legacy: LegacyTables;
  /** When an item-less watch-run log is an expired event chunk (default: now and the TTL). */
  expiry?: EventChunkExpiry;
}

export interface TrailVerification {
  records: number;
  objects: number;
  findings: AuditFinding[];
  /** Abandoned attempts' logs: named, not problems. */
  notes: AuditFinding[];
  digest?: RunVerification['digest'];
}

/**
 * `audit verify --run`: a run's chunk trail, or, for a run that left none (one written before
 * chunks), its records and chains in the old tables.
 */
export async function verifyRunTrail(deps: TrailDeps, runId: string): Promise<TrailVerification> {
  if (await hasChunkTrail(deps.source, runId)) return verifyRun(deps, runId);
  const legacy = await verifyLegacyScope({ ...deps.legacy, runs: deps.runs }, { runId });
  return { ...legacy, notes: [] };
}

/**
 * `audit verify --bucket`: every run over the bucket (or over every bucket) verified from its chunk
 * logs, and the old chains of the bucket's objects. Records and objects count whole runs.
 */
export async function verifyBucketTrail(
  deps: TrailDeps,
  bucket: string,
): Promise<TrailVerification & { runs: number }> {
  const total: TrailVerification & { runs: number } = {
    records: 0,
    objects: 0,
    findings: [],
    notes: [],
    runs: 0,
  };
  for await (const runId of deps.runs.allRunIds()) {
    const run = await deps.runs.get(runId);
    if (!run || (run.bucket !== bucket && run.bucket !== '*')) continue;
    if (!(await hasChunkTrail(deps.source, runId))) continue;
    add(total, await verifyRun(deps, runId, { countBucket: bucket }));
    total.runs += 1;
  }
  add(total, await verifyLegacyScope({ ...deps.legacy, runs: deps.runs }, { bucket }));
  return total;
}

export interface WholeTrailVerification extends TrailVerification {
  runsChecked: number;
  /** Old runs closed before multiset digests: their digest is checked by `--run`. */
  legacyRuns: string[];
  /** Expired event chunks' logs, checked and counted: the transparency log's pass finds their leaves. */
  expired: ExpiredEventLogs;
}

/**
 * `audit verify --all`: every run with a chunk trail verified from its logs (one log in memory at
 * a time), then the old tables in one streaming pass for everything written before chunks.
 */
export async function verifyWholeTrail(
  deps: TrailDeps,
  options: { segments: number; onProgress?: (progress: VerifyAllProgress) => void },
): Promise<WholeTrailVerification> {
  const total: WholeTrailVerification = {
    records: 0,
    objects: 0,
    findings: [],
    notes: [],
    runsChecked: 0,
    legacyRuns: [],
    expired: new ExpiredEventLogs(),
  };
  const chunkRuns = new Set<string>();
  for await (const runId of deps.runs.allRunIds()) {
    if (!(await hasChunkTrail(deps.source, runId))) continue;
    chunkRuns.add(runId);
    const before = { records: total.records, objects: total.objects };
    const verified = await verifyRun(deps, runId, {
      onProgress: (run) =>
        options.onProgress?.({
          records: before.records + run.records,
          objects: before.objects + run.objects,
        }),
      onExpiredLog: ({ runId: run, key }) => total.expired.add(run, key),
    });
    add(total, verified);
    if (verified.digest === 'matches' || verified.digest === 'differs') total.runsChecked += 1;
  }
  const chunked = { records: total.records, objects: total.objects };
  const legacy = await verifyLegacyAll(
    { ...deps.legacy, runs: deps.runs },
    {
      segments: options.segments,
      isChunkRun: (runId) => chunkRuns.has(runId),
      onProgress: (old) =>
        options.onProgress?.({
          records: chunked.records + old.records,
          objects: chunked.objects + old.objects,
        }),
    },
  );
  add(total, legacy);
  total.runsChecked += legacy.runsChecked;
  total.legacyRuns = legacy.legacyRuns;
  return total;
}

function add(total: TrailVerification, part: Omit<TrailVerification, 'notes'> & { notes?: AuditFinding[] }) {
  total.records += part.records;
  total.objects += part.objects;
  total.findings.push(...part.findings);
  total.notes.push(...(part.notes ?? []));
}
