import { randomUUID } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EnvelopeFormat } from '../envelope/format.js';
import type { OtherKmsKeys, ProtectionMode } from '../policy.js';
import type { WatchMove } from '../watch/watch-moves.js';
import { completeScanWhen, putMarkerOnce, runItemKey } from './marker-once.js';
import { readRunAndTally } from './run-and-tally.js';
import { emptyCounts, OUTCOMES, type Outcome, type OutcomeCounts } from './run-counts.js';
import { COUNT_PREFIX, REASON_PREFIX, type RunTally, sumShards } from './tally-shards.js';

export {
  counterReason,
  emptyCounts,
  OUTCOMES,
  type Outcome,
  type OutcomeCounts,
  settled,
  WARNING_REASONS,
} from './run-counts.js';

export interface Run {
  runId: string;
  bucket: string;
  prefix: string;
  /** The protection a backfill applies, or `rewrap` for a re-wrap run (keyArn is then the target). */
  mode: ProtectionMode | 'rewrap';
  keyArn?: string;
  /** Rewrap runs: the key data keys were wrapped under (set on runs planned since reports name it). */
  fromKeyArn?: string;
  /** Envelope runs: the S3EC format written, and whether V2 envelopes are upgraded to V3. */
  format?: EnvelopeFormat;
  upgradeFormat?: boolean;
  keepAcl?: boolean;
  /** sse-kms runs: `leave` keeps objects under other KMS keys where they are (absent: re-keyed). */
  otherKmsKeys?: OtherKmsKeys;
  /** SSE-C migration runs: the customer key's fingerprint (never the key). */
  sseCustomerKeyMd5?: string;
  startedAt: string;
  /** What started a rewrap run: the CLI, a KMS rotation event, or a scheduled policy. */
  trigger?: string;
  /** Rewrap runs: the watch policies the run moved from its source key to its target. */
  watchesMoved?: WatchMove[];
  /**
   * A live-enforcement run: the decisions the events handler made for one bucket in one UTC day
   * (docs/architecture.md, "Live enforcement runs"). It has no scan and never completes.
   */
  watch?: boolean;
  /** When outcomes were last counted: with startedAt, the run's rate. */
  lastProgressAt?: string;
  /**
   * Set once the run finished: the digest over its audit records' hashes (see audit verify), by
   * `digestAlgorithm` (absent on runs closed before it: SHA-256 over the sorted hashes).
   */
  auditDigest?: string;
  digestAlgorithm?: string;
  auditRecords?: number;
  closedAt?: string;
  /** Objects the scan has enqueued so far. */
  discovered: number;
  pagesScanned: number;
  scanComplete: boolean;
  /**
   * Why the scan cannot finish (an inventory data file that does not read): the run has failed, and
   * whoever follows it stops instead of waiting for pages that will never be recorded.
   */
  scanFailed?: string;
  counts: OutcomeCounts;
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
}

const RUN_LIST_PK = 'runs';
const runKey = runItemKey;
const pageKey = (runId: string, page: number) => ({
  pk: `run#${runId}`,
  sk: `page#${String(page).padStart(8, '0')}`,
});

/**
 * Run records in the ledger table. Their outcome counters live in the run's tally shards, written
 * by each audit append (docs/architecture.md, "Counting and closing runs"): reading a run sums
 * them, so the run item itself takes one write per scan page, never one per object.
 */
export class RunStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(run: Omit<Run, 'discovered' | 'pagesScanned' | 'scanComplete' | 'counts'>): Promise<Run> {
    await this.putRun(run);
    return { ...run, discovered: 0, pagesScanned: 0, scanComplete: false, counts: emptyCounts() };
  }

  /**
   * Records a run unless it is there already (a watch run, which every handler that decides one of
   * its objects may be the first to record); false when it was.
   */
  async createOnce(
    run: Omit<Run, 'discovered' | 'pagesScanned' | 'scanComplete' | 'counts'>,
  ): Promise<boolean> {
    try {
      await this.putRun(run);
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async putRun(run: Omit<Run, 'discovered' | 'pagesScanned' | 'scanComplete' | 'counts'>) {
    const stored = { ...run, discovered: 0, pagesScanned: 0, scanComplete: false };
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

  /** Every run's id, oldest first, page by page. */
  async *allRunIds(): AsyncGenerator<string> {
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': RUN_LIST_PK },
      },
    )) {
      for (const item of page.Items ?? []) yield item.sk as string;
    }
  }

  /** The run with its counts summed from its tally shards (one Get and one Query, both consistent). */
  async get(runId: string): Promise<Run | undefined> {
    return (await this.getWithTally(runId))?.run;
  }

  /**
   * The run and its tally (counts, records counted, digest so far), in one consistent Query: the
   * run item (`sk run`) and its tally shards (`tally#NN`) are neighbours in the run's partition,
   * with no other kind of item between them (docs/architecture.md, "Counting and closing runs").
   * Every batch's close check reads this: one request, not two.
   */
  async getWithTally(runId: string): Promise<{ run: Run; tally: RunTally } | undefined> {
    const { run: item, shards } = await readRunAndTally(this.client, this.tableName, runId);
    const tally = sumShards(shards);
    if (!item && tally.shards === 0) return undefined;
    // A watch run decided before watch runs were recorded has only its decisions: its id names it.
    return { run: fromItem(item ?? legacyWatchRun(runId), tally), tally };
  }

  /**
   * Closes a finished run with the digest over its audit records, once (the first closer wins;
   * later ones find it closed and change nothing).
   */
  async close(
    runId: string,
    closing: { digest: string; records: number; algorithm: string; at?: string },
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression:
            'SET auditDigest = :digest, auditRecords = :n, digestAlgorithm = :algorithm, closedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(auditDigest)',
          ExpressionAttributeValues: {
            ':digest': closing.digest,
            ':n': closing.records,
            ':algorithm': closing.algorithm,
            ':now': closing.at ?? new Date().toISOString(),
          },
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
    return putMarkerOnce(
      this.client,
      this.tableName,
      { ...pageKey(runId, page), at: new Date().toISOString() },
      { runId, ...pageCounters(discovered, last, options.fileDone) },
    );
  }

  /**
   * Marks the scan complete once `files` inventory data files are recorded whole: their pages
   * finish in any order, so no page knows it is the last. Every file's last page calls it after
   * recording; only the one that finds all files counted sets the flag. Idempotent.
   */
  async completeScanAt(runId: string, files: number): Promise<void> {
    await completeScanWhen(this.client, this.tableName, runId, 'filesScanned >= :files', { ':files': files });
  }

  /** Records why the run's scan cannot finish; the first reason stays. */
  async failScan(runId: string, reason: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: runKey(runId),
        UpdateExpression: 'SET scanFailed = if_not_exists(scanFailed, :reason)',
        ExpressionAttributeValues: { ':reason': reason.slice(0, 1000) },
      }),
    );
  }

  /** Adds a page to the counters without a page marker (a rewrap plan, recorded whole). */
  async addPage(runId: string, discovered: number, last: boolean): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: runKey(runId), ...pageCounters(discovered, last) }),
    );
  }
}

/**
 * A run from its item and its tally. Runs counted before tally shards kept their counters on the
 * run item (`count_*`, `reason_*`): those still add in, so old runs read as they did.
 */
function fromItem(item: Record<string, unknown>, tally: RunTally): Run {
  const counts = emptyCounts();
  for (const outcome of OUTCOMES) counts[outcome] = tally.counts[outcome];
  Object.assign(counts.reasons, tally.counts.reasons);
  if (tally.counts.rekeyedFrom) counts.rekeyedFrom = tally.counts.rekeyedFrom;
  if (tally.counts.leftUnder) counts.leftUnder = tally.counts.leftUnder;
  const run: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(COUNT_PREFIX)) counts[name.slice(COUNT_PREFIX.length) as Outcome] += Number(value);
    else if (name.startsWith(REASON_PREFIX)) {
      const reason = name.slice(REASON_PREFIX.length);
      counts.reasons[reason] = (counts.reasons[reason] ?? 0) + Number(value);
    } else if (name !== 'pk' && name !== 'sk' && name !== 'countsFinal') run[name] = value;
  }
  if (tally.lastAt && !(typeof run.lastProgressAt === 'string' && run.lastProgressAt > tally.lastAt))
    run.lastProgressAt = tally.lastAt;
  return { discovered: 0, pagesScanned: 0, scanComplete: false, ...run, counts } as Run;
}

/** What a watch run's id (`watch-BUCKET-YYYY-MM-DD`) says of it, for one that has no run item. */
function legacyWatchRun(runId: string): Record<string, unknown> {
  const named = /^watch-(.+)-(\d{4}-\d{2}-\d{2})$/.exec(runId);
  if (!named) return { runId };
  return { runId, bucket: named[1], prefix: '', startedAt: `${named[2]}T00:00:00.000Z`, watch: true };
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
export { runItemKey };
