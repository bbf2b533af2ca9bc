import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import { objectPartitionKey } from '../ledger/dynamodb-ledger.js';
import { type ChainAnchor, chain } from './hash-chain.js';

export type AuditDecision = 'encrypted' | 'rewrapped' | 'compliant' | 'skipped' | 'superseded' | 'failed';

/**
 * One decision about one object: who, what, how, when, which run. Never carries key material:
 * only key ARNs and KMS request ids.
 */
export interface AuditRecord {
  decision: AuditDecision;
  runId: string;
  jobId: string;
  actor: string;
  bucket: string;
  key: string;
  versionIdBefore?: string;
  versionIdAfter?: string;
  etagBefore?: string;
  etagAfter?: string;
  mode: string;
  method?: string;
  keyArn?: string;
  kmsRequestIds?: string[];
  reason?: string;
  error?: string;
  reconciled?: boolean;
  /** Per-object warnings about what a rewrite did not carry (for example `acl-not-carried`). */
  warnings?: string[];
  /** What became of the object's ACL grants, when it had any beyond its owner's. */
  acl?: string;
  at: string;
}

export interface AuditLog {
  /**
   * Appends the decision for one job. Idempotent per (run, job): a redelivered job that reaches the
   * same point again does not add a second record.
   */
  append(record: AuditRecord, hints?: AppendHints): Promise<void>;
}

export interface AppendHints {
  /**
   * The caller has reason to think the object has no audit chain yet (its first claim ever): skip
   * reading the anchor and write as the chain's first record. Only a saving, never a risk: the
   * write is conditional on the anchor being absent, and a chain that exists after all is linked
   * onto instead.
   */
  likelyNewChain?: boolean;
}

/**
 * {@link AuditLog} on DynamoDB: one item per (object, run, job) in the audit table (pk per object,
 * sk per run and job, runId for the run index), hash-chained per object. Each append is one
 * transaction that writes the record and moves the object's anchor on the ledger table (item
 * `audit`) from the head it read to the new record's hash, so records cannot be appended, lost or
 * forked without the anchor noticing.
 */
export class DynamoDbAuditLog implements AuditLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ledgerTable: string,
  ) {}

  async append(record: AuditRecord, hints: AppendHints = {}): Promise<void> {
    // The anchor to link onto, when known without reading it: absent for a likely new chain, or
    // the one a failed attempt's condition check returned.
    let known: { anchor: ChainAnchor | undefined } | undefined = hints.likelyNewChain
      ? { anchor: undefined }
      : undefined;
    for (let attempt = 1; ; attempt++) {
      const anchor = known
        ? known.anchor
        : await readAnchor(this.client, this.ledgerTable, record.bucket, record.key);
      known = undefined;
      const chained = chain(record, anchor);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: {
                    pk: auditPartitionKey(record.bucket, record.key),
                    sk: auditSortKey(record),
                    ...chained,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: this.ledgerTable,
                  Key: anchorKey(record.bucket, record.key),
                  UpdateExpression: 'SET head = :head, seq = :seq',
                  ConditionExpression: anchor ? 'head = :prev' : 'attribute_not_exists(head)',
                  ExpressionAttributeValues: {
                    ':head': chained.hash,
                    ':seq': chained.seq,
                    ...(anchor ? { ':prev': anchor.head } : {}),
                  },
                  // On a moved anchor, DynamoDB returns the current one: no extra read to relink.
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        );
        return;
      } catch (error) {
        const reasons = transactionCancellation(error);
        if (!reasons) throw error;
        // The record exists: this (run, job) was audited already, by an earlier delivery.
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return;
        // Another decision on this object moved the anchor first (or the chain was not new after
        // all): link after the anchor it returned, or read it if it returned none.
        if (reasons[1]?.Code === 'ConditionalCheckFailed' && attempt < 8) {
          const current = reasons[1].Item && unmarshall(reasons[1].Item);
          if (current?.head) known = { anchor: { head: String(current.head), seq: Number(current.seq) } };
          continue;
        }
        throw error;
      }
    }
  }
}

export const auditPartitionKey = (bucket: string, key: string) => `obj#${bucket}/${key}`;
const auditSortKey = (record: Pick<AuditRecord, 'runId' | 'jobId'>) =>
  `run#${record.runId}#job#${record.jobId}`;
const anchorKey = (bucket: string, key: string) => ({ pk: objectPartitionKey(bucket, key), sk: 'audit' });

/** The head of an object's audit chain, as the ledger anchors it. */
export async function readAnchor(
  client: DynamoDBDocumentClient,
  ledgerTable: string,
  bucket: string,
  key: string,
): Promise<ChainAnchor | undefined> {
  const out = await client.send(
    new GetCommand({ TableName: ledgerTable, Key: anchorKey(bucket, key), ConsistentRead: true }),
  );
  return out.Item?.head ? { head: out.Item.head as string, seq: Number(out.Item.seq) } : undefined;
}
