import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Run, type RunStore, settled } from '../runs/run-store.js';
import { recordsOfRun } from './audit-records.js';
import { type ChainedRecord, runDigest } from './hash-chain.js';

export function isComplete(run: Run): boolean {
  return run.scanComplete && settled(run.counts) >= run.discovered;
}

/**
 * Closes a finished run with the digest over its audit records: whoever counts the last outcome
 * (a handler's batch, or the CLI's local run) calls this; the first close wins.
 */
export class RunCloser {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly auditTable: string,
    private readonly runs: RunStore,
  ) {}

  async closeIfComplete(run: Run | undefined): Promise<boolean> {
    if (!run || run.auditDigest || !isComplete(run)) return false;
    const records: ChainedRecord[] = [];
    for await (const record of recordsOfRun(this.dynamo, this.auditTable, run.runId)) {
      records.push(record as ChainedRecord);
    }
    // Counters are a fast estimate; close only when every discovered job has its record.
    if (records.length < run.discovered) return false;
    return this.runs.close(run.runId, runDigest(records), records.length);
  }
}
