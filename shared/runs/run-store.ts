import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import type { EnvelopeFormat } from '../envelope/format.js';
import type { ProtectionMode } from '../policy.js';

/** Outcomes a run counts; each object's job ends in exactly one of them. */
export const OUTCOMES = ['encrypted', 'compliant', 'skipped', 'superseded', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface OutcomeCounts {
  encrypted: number;
  compliant: number;
  skipped: number;
  superseded: number;
  failed: number;
  /** Skips and failures by reason, for the summary. */
  reasons: Record<string, number>;
}

export interface Run {
  runId: string;
  bucket: string;
  prefix: string;
  /** The protection a backfill applies, or `rewrap` for a re-wrap run (keyArn is then the target). */
  mode: ProtectionMode | 'rewrap';
  keyArn?: string;
  /** Envelope runs: the S3EC format written, and whether V2 envelopes are upgraded to V3. */
  format?: EnvelopeFormat;
  upgradeFormat?: boolean;
  keepAcl?: boolean;
  /** SSE-C migration runs: the customer key's fingerprint (never the key). */
  sseCustomerKeyMd5?: string;
  startedAt: string;
  /** What started a rewrap run: the CLI, a KMS rotation event, or a scheduled policy. */
  trigger?: string;
  /** When outcomes were last counted: with startedAt, the run's rate. */
  lastProgressAt?: string;
  /** Set once the run finished: SHA-256 over its audit records' hashes (see audit verify). */
  auditDigest?: string;
  auditRecords?: number;
  closedAt?: string;
  /** Objects the scan has enqueued so far. */
  discovered: number;
  pagesScanned: number;
  scanComplete: boolean;
  counts: OutcomeCounts;
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
}

export function emptyCounts(): OutcomeCounts {
  return { encrypted: 0, compliant: 0, skipped: 0, superseded: 0, failed: 0, reasons: {} };
}

/** A reason as a counter name: DynamoDB attribute-safe and short. */
/** Reasons an encrypted object can carry: warnings, shown beside the encrypted count. */
export const WARNING_REASONS: ReadonlySet<string> = new Set(['acl-not-carried', 'acl-reapply-failed']);

export function counterReason(reason: string): string {
  return reason.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
}

/** Adds one batch's outcomes together, so a batch costs one counter write, not one per object. */
export function tally(outcomes: Array<{ outcome: Outcome; reason?: string }>): OutcomeCounts {
  const counts = emptyCounts();
  for (const { outcome, reason } of outcomes) {
    counts[outcome] += 1;
    // Encrypted objects carry a reason only as a warning (what the rewrite did not carry).
    if (reason && (outcome === 'skipped' || outcome === 'failed' || outcome === 'encrypted')) {
      counts.reasons[reason] = (counts.reasons[reason] ?? 0) + 1;
    }
  }
  return counts;
}

export function settled(counts: OutcomeCounts): number {
  return OUTCOMES.reduce((sum, o) => sum + counts[o], 0);
}

const RUN_SK = 'run';
const RUN_LIST_PK = 'runs';
const COUNT_PREFIX = 'count_';
const REASON_PREFIX = 'reason_';
const runKey = (runId: string) => ({ pk: `run#${runId}`, sk: RUN_SK });
const pageKey = (runId: string, page: number) => ({
  pk: `run#${runId}`,
  sk: `page#${String(page).padStart(8, '0')}`,
});

/**
 * Run records and their counters, in the ledger table. Counters are added per batch (one
 * UpdateItem for up to ten objects), which keeps one run's item far from DynamoDB's per-item write
 * limit at the concurrency Lambda runs this at.
 */
export class RunStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(run: Omit<Run, 'discovered' | 'pagesScanned' | 'scanComplete' | 'counts'>): Promise<Run> {
    const full: Run = { ...run, discovered: 0, pagesScanned: 0, scanComplete: false, counts: emptyCounts() };
    const { counts: _counts, ...stored } = full;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...runKey(run.runId), ...stored },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    // The list of runs, newest last by id (ids start with the time): `status` finds the latest
    // with one Query instead of a table scan. One small write per run.
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: RUN_LIST_PK,
          sk: run.runId,
          bucket: run.bucket,
          mode: run.mode,
          startedAt: run.startedAt,
        },
      }),
    );
    return full;
  }

  /** The ids of the most recent runs, newest first. */
  async recent(limit: number): Promise<string[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': RUN_LIST_PK },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => item.sk as string);
  }

  async get(runId: string): Promise<Run | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: runKey(runId), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /**
   * Sets a run's counters once and for all from a complete tally (the audit trail's, see
   * recountFromAudit) and freezes them: batches that count afterwards are ignored, since every job
   * they could count is already in the tally.
   */
  async finalizeCounts(runId: string, counts: OutcomeCounts): Promise<Run | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, number | boolean> = { ':true': true };
    const sets: string[] = ['countsFinal = :true'];
    OUTCOMES.forEach((outcome, i) => {
      names[`#c${i}`] = `${COUNT_PREFIX}${outcome}`;
      values[`:c${i}`] = counts[outcome];
      sets.push(`#c${i} = :c${i}`);
    });
    Object.entries(counts.reasons).forEach(([reason, n], i) => {
      names[`#r${i}`] = `${REASON_PREFIX}${reason}`;
      values[`:r${i}`] = n;
      sets.push(`#r${i} = :r${i}`);
    });
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(countsFinal)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? fromItem(out.Attributes) : undefined;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return this.get(runId);
      throw error;
    }
  }

  /**
   * Closes a finished run with the digest over its audit records, once (the first closer wins;
   * later ones find it closed and change nothing).
   */
  async close(runId: string, digest: string, records: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET auditDigest = :digest, auditRecords = :n, closedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(auditDigest)',
          ExpressionAttributeValues: { ':digest': digest, ':n': records, ':now': new Date().toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Whether a scan page already finished (its objects enqueued and counted). */
  async isPageDone(runId: string, page: number): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: pageKey(runId, page), ConsistentRead: true }),
    );
    return out.Item !== undefined;
  }

  /**
   * Records a finished scan page, once: the page marker and the run's counters move in one
   * transaction, so only the delivery that writes the marker counts the page, and a crash can never
   * leave a page marked done but uncounted (its run would then never complete). Returns false when
   * an earlier delivery already recorded the page.
   */
  async recordPage(
    runId: string,
    page: number,
    discovered: number,
    last: boolean,
    /** Inventory runs: this page finished a data file (counted in `filesScanned`). */
    options: { fileDone?: boolean } = {},
  ): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...pageKey(runId, page), at: new Date().toISOString() },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: runKey(runId),
                ...pageCounters(discovered, last, options.fileDone),
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      // The page marker exists: an earlier delivery recorded this page.
      if (transactionCancellation(error)?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /**
   * Marks the scan complete once `files` inventory data files are recorded whole: their pages
   * finish in any order, so no page knows it is the last. Every file's last page calls it after
   * recording; only the one that finds all files counted sets the flag. Idempotent.
   */
  async completeScanAt(runId: string, files: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET scanComplete = :true',
          ConditionExpression: 'filesScanned >= :files',
          ExpressionAttributeValues: { ':true': true, ':files': files },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Adds a page to the counters without a page marker (a rewrap plan, recorded whole). */
  async addPage(runId: string, discovered: number, last: boolean): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: runKey(runId), ...pageCounters(discovered, last) }),
    );
  }

  /**
   * Adds a batch's outcomes. Counters are top-level attributes (`count_encrypted`, `reason_missing`)
   * because ADD creates a missing top-level attribute but not a path inside a missing map.
   */
  async addOutcomes(runId: string, counts: OutcomeCounts): Promise<Run | undefined> {
    const values: Record<string, number> = {};
    const adds: string[] = [];
    for (const outcome of OUTCOMES) {
      if (counts[outcome] === 0) continue;
      values[`:${outcome}`] = counts[outcome];
      adds.push(`${COUNT_PREFIX}${outcome} :${outcome}`);
    }
    const names: Record<string, string> = {};
    Object.entries(counts.reasons).forEach(([reason, n], i) => {
      names[`#r${i}`] = `${REASON_PREFIX}${reason}`;
      values[`:r${i}`] = n;
      adds.push(`#r${i} :r${i}`);
    });
    if (adds.length === 0) return undefined;
    let out: { Attributes?: Record<string, unknown> };
    try {
      out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: `ADD ${adds.join(', ')} SET lastProgressAt = :now`,
          // Counters frozen from the audit trail already hold every job this batch could count.
          ConditionExpression: 'attribute_not_exists(countsFinal)',
          ReturnValues: 'ALL_NEW',
          ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
          ExpressionAttributeValues: { ...values, ':now': new Date().toISOString() },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
    return out.Attributes ? fromItem(out.Attributes) : undefined;
  }
}

function fromItem(item: Record<string, unknown>): Run {
  const counts = emptyCounts();
  const run: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(COUNT_PREFIX)) counts[name.slice(COUNT_PREFIX.length) as Outcome] = Number(value);
    else if (name.startsWith(REASON_PREFIX)) counts.reasons[name.slice(REASON_PREFIX.length)] = Number(value);
    else if (name !== 'pk' && name !== 'sk') run[name] = value;
  }
  return { discovered: 0, pagesScanned: 0, scanComplete: false, ...run, counts } as Run;
}

/** The run update for one scanned page: its objects, the page count, and completion on the last. */
function pageCounters(discovered: number, last: boolean, fileDone = false) {
  const adds = `ADD discovered :n, pagesScanned :one${fileDone ? ', filesScanned :one' : ''}`;
  return {
    UpdateExpression: last ? `${adds} SET scanComplete = :true` : adds,
    ExpressionAttributeValues: last
      ? { ':n': discovered, ':one': 1, ':true': true }
      : { ':n': discovered, ':one': 1 },
  };
}

/** The run item's key, for stores that keep more of a run's state beside it (scan chains). */
export { runKey as runItemKey };
