import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

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
  at: string;
}

export interface AuditLog {
  /**
   * Appends the decision for one job. Idempotent per (run, job): a redelivered job that reaches the
   * same point again does not add a second record.
   */
  append(record: AuditRecord): Promise<void>;
}

/** {@link AuditLog} on a DynamoDB table: pk per object, sk per (run, job), runId for the run index. */
export class DynamoDbAuditLog implements AuditLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(record: AuditRecord): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `obj#${record.bucket}/${record.key}`,
            sk: `run#${record.runId}#job#${record.jobId}`,
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
