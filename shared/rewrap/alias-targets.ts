import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Which keys an alias has pointed at, as s3-seal saw them (on the ledger table, item
 * `alias#NAME`). KMS keeps no alias history, so the planner records each target it sees; when the
 * alias moves on, objects still under an earlier target are re-wrapped to the new one.
 */
export class AliasTargets {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async seen(alias: string): Promise<string[]> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: aliasKey(alias), ConsistentRead: true }),
    );
    return [...((out.Item?.targets as Set<string> | undefined) ?? [])];
  }

  /** Adds `keyArn` to the alias's targets (a set: recording twice is harmless). */
  async record(alias: string, keyArn: string, now = new Date()): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: aliasKey(alias),
        UpdateExpression: 'ADD targets :key SET currentTarget = :key1, updatedAt = :now',
        ExpressionAttributeValues: { ':key': new Set([keyArn]), ':key1': keyArn, ':now': now.toISOString() },
      }),
    );
  }
}

const aliasKey = (alias: string) => ({ pk: `alias#${alias}`, sk: 'targets' });
