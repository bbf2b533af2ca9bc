import type { SQSEvent } from 'aws-lambda';
import { notificationIdFor, type WatchPolicyStore } from '../../shared/watch/watch-policy.js';

/** What one ObjectCreated notification names (the key as S3 sends it: URL-encoded). */
export interface CreatedObject {
  bucket: string;
  key: string;
  eTag: string;
  sequencer?: string;
}

/** The body S3 sends to a queue for one ObjectCreated:Put. */
export function objectCreatedBody({ bucket, key, eTag, sequencer = '01' }: CreatedObject): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key, eTag, sequencer } },
      },
    ],
  });
}

/** An SQS event delivering that notification once, as the events queue hands it to its handler. */
export function objectCreatedEvent(created: CreatedObject, messageId = `${created.key}-1`): SQSEvent {
  return {
    Records: [{ messageId, receiptHandle: messageId, body: objectCreatedBody(created) } as never],
  };
}

/** A watch policy over the whole bucket in sse-kms mode under `keyArn`, as `watch` records it. */
export async function watchWholeBucket(policies: WatchPolicyStore, bucket: string, keyArn: string) {
  await policies.put({
    bucket,
    prefix: '',
    suffix: '',
    mode: 'sse-kms',
    keyArn,
    notificationId: notificationIdFor('', ''),
    createdAt: new Date().toISOString(),
  });
}
