import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';

/** One request a watched client sent: its command, target and condition, and when it left. */
export interface SentRequest {
  name: string;
  bucket?: string;
  key?: string;
  ifMatch?: string;
  at: number;
}

/** One GetObject answer on the watched bucket, and what became of its body. */
export interface WatchedGet {
  key: string;
  ifMatch?: string;
  /** The ETag the GET answered with; undefined when S3 refused it. */
  etag?: string;
  /** S3's status when the GET was refused. */
  refused?: number;
  receivedAt: number;
  /** When something began reading the body (a pipe or a read resumed it). */
  resumedAt?: number;
  /** When the body was destroyed (or closed). */
  closedAt?: number;
}

/**
 * Watches an S3 client (and KMS and SQS clients) on the wire: every request sent, and for each GetObject on
 * `bucket` when its answer arrived and when its body was first read or closed, so a test can prove
 * which requests went out while a body was held open, and that an abandoned body was never read.
 */
export function watchRequests(clients: { s3: S3Client; kms?: KMSClient; sqs?: SQSClient }, bucket: string) {
  const sent: SentRequest[] = [];
  const gets: WatchedGet[] = [];
  const record = (client: S3Client | KMSClient | SQSClient) =>
    (client as S3Client).middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Bucket?: string; Key?: string; IfMatch?: string };
        const name = String(context.commandName);
        sent.push({
          name,
          bucket: input.Bucket,
          key: input.Key,
          ifMatch: input.IfMatch,
          at: performance.now(),
        });
        if (name !== 'GetObjectCommand' || input.Bucket !== bucket) return next(args);
        const get: WatchedGet = { key: input.Key!, ifMatch: input.IfMatch, receivedAt: 0 };
        gets.push(get);
        try {
          const out = await next(args);
          get.receivedAt = performance.now();
          const output = out.output as { ETag?: string; Body?: Readable };
          get.etag = output.ETag;
          output.Body?.once('resume', () => {
            get.resumedAt ??= performance.now();
          });
          const body = output.Body;
          if (body) {
            // When the body was let go: the destroy call itself ('close' follows a tick later).
            const destroy = body.destroy.bind(body);
            body.destroy = (error?: Error) => {
              get.closedAt ??= performance.now();
              return destroy(error);
            };
            body.once('close', () => {
              get.closedAt ??= performance.now();
            });
          }
          return out;
        } catch (error) {
          get.receivedAt = performance.now();
          get.refused = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          throw error;
        }
      },
      { step: 'initialize', name: `watchRequests-${randomUUID()}` },
    );
  record(clients.s3);
  if (clients.kms) record(clients.kms);
  if (clients.sqs) record(clients.sqs);
  return {
    sent,
    gets,
    /** Requests to `bucket` (the object's own, its sibling's) by command name, in order. */
    toBucket: () => sent.filter((r) => r.bucket === bucket).map((r) => r.name),
    /** Every request sent after `get`'s answer arrived and before its body was read or closed. */
    sentWhileHeld(get: WatchedGet): string[] {
      const end = get.resumedAt ?? get.closedAt ?? Number.POSITIVE_INFINITY;
      return sent.filter((r) => r.at > get.receivedAt && r.at < end).map((r) => r.name);
    },
    /** How long `get`'s body was held before it was read or closed, in milliseconds. */
    heldMs(get: WatchedGet): number {
      return (get.resumedAt ?? get.closedAt ?? Number.NaN) - get.receivedAt;
    },
  };
}
