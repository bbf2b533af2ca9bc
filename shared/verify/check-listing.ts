import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../errors.js';
import { headListedObject } from '../s3/head-listed.js';
import { listObjectPages } from '../s3/list-objects.js';
import type { SseCustomerKey } from '../s3/sse-c-key.js';
import type { ProblemOf } from './object-problem.js';

/** One listed object's verdict. */
export interface CheckedObject {
  key: string;
  problem?: string;
  /** Deleted while verify ran: neither compliant nor a problem. */
  gone?: boolean;
  sseC?: boolean;
  /** HEAD failed: the object could not be checked (a problem). */
  unchecked?: boolean;
}

/**
 * Lists the prefix and checks every current object (at most `concurrency` at once), yielding the
 * verdicts a group at a time. A listed key HEAD cannot reach is a problem, never compliant; one
 * object S3 will not describe does not hide the verdict on the others.
 */
export async function* checkListing(
  s3: S3Client,
  scope: { bucket: string; prefix: string; concurrency: number; customerKey?: SseCustomerKey },
  problemOf: ProblemOf,
): AsyncGenerator<CheckedObject[]> {
  const { bucket, concurrency } = scope;
  for await (const page of listObjectPages(s3, { bucket, prefix: scope.prefix })) {
    const keys = page.objects.map((o) => o.key);
    for (let i = 0; i < keys.length; i += concurrency) {
      yield await Promise.all(
        keys.slice(i, i + concurrency).map(async (key): Promise<CheckedObject> => {
          try {
            const listed = await headListedObject(s3, bucket, key, { sseCustomerKey: scope.customerKey });
            if (listed.state === 'found') {
              const problem = await problemOf(listed.head);
              return { key, problem, sseC: Boolean(listed.head.sseCustomerAlgorithm) };
            }
            if (listed.state === 'gone') return { key, gone: true };
            return { key, problem: 'listed, but HEAD finds no object with this exact key (404)' };
          } catch (error) {
            return { key, problem: `HEAD failed: ${describeError(error)}`, unchecked: true };
          }
        }),
      );
    }
  }
}
