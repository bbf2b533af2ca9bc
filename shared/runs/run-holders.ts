import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalClaims, RunClaims } from '../worker/local-claims.js';
import { processToken } from '../worker/process-identity.js';

/** What a local process last reported about the chunks it holds for a run. */
export interface RunHolder extends RunClaims {
  /** The process, as a claim owner token names it (see process-identity). */
  owner: string;
  /** When it reported. */
  at: string;
}

const HOLDER_PREFIX = 'holder#';
const REPORT_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Per run, the chunks each local process holds, as that process last reported them: one small item
 * per (run, process) beside the run record. A chunk item names its owner but not how to reach it;
 * these reports let `status` say who holds a run's work, and whether that process is gone, without
 * reading every chunk item of the run.
 */
export class RunHolders {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async report(runId: string, holder: RunHolder): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        // Reports are only useful while a run is in progress: the table's TTL removes them later.
        Item: {
          pk: `run#${runId}`,
          sk: `${HOLDER_PREFIX}${holder.owner}`,
          ...holder,
          expiresAt: Math.floor(Date.now() / 1000) + REPORT_TTL_SECONDS,
        },
      }),
    );
  }

  async list(runId: string): Promise<RunHolder[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `run#${runId}`, ':prefix': HOLDER_PREFIX },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(({ owner, claims, leaseUntil, at }) => ({
      owner: String(owner),
      claims: Number(claims),
      leaseUntil: leaseUntil === undefined ? undefined : Number(leaseUntil),
      at: String(at),
    }));
  }
}

/**
 * Reports this process's claims per run: at once for a run it holds and has not reported yet, then
 * every `everyMs` while it works, and a last time (zero for runs it no longer holds anything of)
 * when it stops; a process killed outright leaves its last report standing, which `status` shows
 * with the news that the process is gone. Each report is a DynamoDB write, so it is not refreshed
 * more often than a person reading `status` needs.
 */
export class ClaimsReporter {
  private last = 0;
  private readonly reported = new Set<string>();

  constructor(
    private readonly claims: LocalClaims,
    private readonly holders: RunHolders,
    private readonly everyMs = 30_000,
    private readonly owner = processToken(),
  ) {}

  /**
   * Reports if the last report is older than `everyMs` or a run is held that no report names yet.
   * Never throws: a report is advisory.
   */
  async tick(now = Date.now()): Promise<void> {
    const unreported = [...this.claims.byRun().keys()].some((runId) => !this.reported.has(runId));
    if (!unreported && now - this.last < this.everyMs) return;
    this.last = now;
    await this.flush().catch(() => undefined);
  }

  /**
   * Reports every run it holds or last reported. `complete`: runs known to be complete, whose
   * reports `status` never shows (it shows holders of unfinished runs only): a last report of
   * holding nothing is not written for them.
   */
  async flush(complete: ReadonlySet<string> = new Set()): Promise<void> {
    const current = this.claims.byRun();
    const runs = new Set([...this.reported, ...current.keys()]);
    const at = new Date().toISOString();
    await Promise.all(
      [...runs].map(async (runId) => {
        const held = current.get(runId) ?? { claims: 0 };
        if (held.claims === 0 && complete.has(runId)) {
          this.reported.delete(runId);
          return;
        }
        await this.holders.report(runId, { owner: this.owner, ...held, at });
        if (held.claims === 0) this.reported.delete(runId);
        else this.reported.add(runId);
      }),
    );
  }
}
