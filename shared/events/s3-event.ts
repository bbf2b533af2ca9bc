import * as z from 'zod';
import { MalformedMessageError } from '../jobs/messages.js';
import { decodeFormEncodedKey } from '../s3/key-encoding.js';

/**
 * One S3 event notification record (S3 User Guide, "Event message structure"), reduced to what
 * s3-seal reads. Unknown fields are ignored: S3 adds fields within a major version.
 */
const S3EventRecordSchema = z.object({
  eventVersion: z.string(),
  eventSource: z.literal('aws:s3'),
  eventName: z.string(),
  eventTime: z.string().optional(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(3) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const S3EventSchema = z.object({ Records: z.array(z.unknown()).min(1) });

/** Saving a bucket's notification configuration sends this, with no Records. */
const TestEventSchema = z.object({ Event: z.literal('s3:TestEvent'), Bucket: z.string().optional() });

export interface ObjectCreated {
  bucket: string;
  /** The decoded object key. */
  key: string;
  eventName: string;
  eTag?: string;
  /** Versioned buckets: the version the event is about. */
  versionId?: string;
  size?: number;
  sequencer?: string;
}

export type ParsedS3Message =
  | { kind: 'test-event'; bucket?: string }
  | { kind: 'created'; objects: ObjectCreated[] };

/** The event structure major version this code understands. */
const SUPPORTED_MAJOR = '2';

/**
 * Keys in S3 event records are URL-encoded as in an HTML form: `+` is a space and a literal plus
 * arrives as `%2B` (S3 User Guide, "Event message structure"); the result is the exact key.
 */
export const decodeEventKey = decodeFormEncodedKey;

/**
 * Parses an SQS message body that S3 sent. Test events are recognised so they can be dropped;
 * anything else that is not an ObjectCreated notification of major version 2 is malformed.
 */
export function parseS3Message(body: string): ParsedS3Message {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError(`message body is not JSON: ${body.slice(0, 80)}`);
  }
  const test = TestEventSchema.safeParse(json);
  if (test.success) return { kind: 'test-event', bucket: test.data.Bucket };
  const event = S3EventSchema.safeParse(json);
  if (!event.success) throw new MalformedMessageError('not an S3 event notification (no Records)');
  const objects: ObjectCreated[] = [];
  for (const raw of event.data.Records) {
    const record = S3EventRecordSchema.safeParse(raw);
    if (!record.success) {
      const issue = record.error.issues[0]!;
      throw new MalformedMessageError(`malformed S3 event record: ${issue.path.join('.')}: ${issue.message}`);
    }
    const r = record.data;
    const major = r.eventVersion.split('.')[0];
    if (major !== SUPPORTED_MAJOR) {
      throw new MalformedMessageError(
        `unsupported S3 event version ${r.eventVersion} (need ${SUPPORTED_MAJOR}.x)`,
      );
    }
    if (!r.eventName.startsWith('ObjectCreated:')) continue;
    let key: string;
    try {
      key = decodeEventKey(r.s3.object.key);
    } catch {
      throw new MalformedMessageError(`S3 event key is not URL-encoded: ${r.s3.object.key.slice(0, 80)}`);
    }
    objects.push({
      bucket: r.s3.bucket.name,
      key,
      eventName: r.eventName,
      eTag: r.s3.object.eTag,
      versionId: r.s3.object.versionId,
      size: r.s3.object.size,
      sequencer: r.s3.object.sequencer,
    });
  }
  return { kind: 'created', objects };
}
