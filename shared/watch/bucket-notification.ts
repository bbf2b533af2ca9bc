import {
  GetBucketNotificationConfigurationCommand,
  type NotificationConfiguration,
  PutBucketNotificationConfigurationCommand,
  type QueueConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueTarget {
  url: string;
  arn: string;
}

export async function queueTarget(sqs: SQSClient, url: string): Promise<QueueTarget> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: out.Attributes!.QueueArn! };
}

async function readConfiguration(s3: S3Client, bucket: string): Promise<NotificationConfiguration> {
  const { $metadata: _m, ...config } = await s3.send(
    new GetBucketNotificationConfigurationCommand({ Bucket: bucket }),
  );
  return config;
}

/**
 * Adds (or replaces) our ObjectCreated:* entry in the bucket's notification configuration and
 * keeps every other entry as it was: PutBucketNotificationConfiguration replaces the whole
 * configuration, so we read, merge and write it back.
 */
export async function addQueueNotification(
  s3: S3Client,
  bucket: string,
  entry: { id: string; queueArn: string; prefix: string; suffix: string },
): Promise<void> {
  const config = await readConfiguration(s3, bucket);
  const rules = [
    ...(entry.prefix ? [{ Name: 'prefix' as const, Value: entry.prefix }] : []),
    ...(entry.suffix ? [{ Name: 'suffix' as const, Value: entry.suffix }] : []),
  ];
  const ours: QueueConfiguration = {
    Id: entry.id,
    QueueArn: entry.queueArn,
    Events: ['s3:ObjectCreated:*'],
    ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}),
  };
  const queues = (config.QueueConfigurations ?? []).filter((q) => q.Id !== entry.id);
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { ...config, QueueConfigurations: [...queues, ours] },
    }),
  );
}

/** Removes only our entry; returns false when it was not there. */
export async function removeQueueNotification(s3: S3Client, bucket: string, id: string): Promise<boolean> {
  const config = await readConfiguration(s3, bucket);
  const queues = config.QueueConfigurations ?? [];
  if (!queues.some((q) => q.Id === id)) return false;
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { ...config, QueueConfigurations: queues.filter((q) => q.Id !== id) },
    }),
  );
  return true;
}

/**
 * Lets S3 send this bucket's events to the queue: one policy statement per bucket, conditioned on
 * the bucket's ARN, merged into the queue's existing policy (S3 User Guide, "Granting permissions
 * to publish event notification messages to a destination").
 */
export async function allowBucketToSend(sqs: SQSClient, queue: QueueTarget, bucket: string): Promise<void> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Policy'] }),
  );
  const policy = out.Attributes?.Policy
    ? (JSON.parse(out.Attributes.Policy) as { Version: string; Statement: Array<{ Sid?: string }> })
    : { Version: '2012-10-17', Statement: [] };
  const sid = `s3-seal-${bucket}`.replace(/[^A-Za-z0-9]/g, '');
  if (policy.Statement.some((s) => s.Sid === sid)) return;
  policy.Statement.push({
    Sid: sid,
    Effect: 'Allow',
    Principal: { Service: 's3.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: queue.arn,
    Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${bucket}` } },
  } as { Sid: string });
  await sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: JSON.stringify(policy) } }),
  );
}
