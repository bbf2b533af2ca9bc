import type { MiddlewareStack } from '@smithy/types';
import type { Faults } from './faults.js';

/**
 * Injects the service's throttling answer (KMS ThrottlingException, S3 SlowDown) and slow calls into
 * a client, inside the SDK's retry loop, so SDK retries, our classification and SQS redelivery all
 * see them as they would see the real thing. Only added when faults are armed.
 */
export function addFaultMiddleware(
  // biome-ignore lint/suspicious/noExplicitAny: any SDK v3 client's stack
  client: { middlewareStack: MiddlewareStack<any, any> },
  faults: Faults,
  throttle: { name: string; status: number },
): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      if (faults.roll('slow')) await new Promise((resolve) => setTimeout(resolve, 2000));
      if (faults.roll('throttle')) {
        throw Object.assign(new Error(`injected ${throttle.name}`), {
          name: throttle.name,
          $fault: 'client',
          $metadata: { httpStatusCode: throttle.status },
          $retryable: { throttling: true },
        });
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'injectFaults' },
  );
}

/** S3 operations that upload an object's bytes: a process that dies during one cuts its body off. */
const BODY_WRITES = new Set(['PutObjectCommand', 'UploadPartCommand']);

/**
 * Counts this client's uploads in flight on `faults`, so that an injected crash that would end
 * the process while one is in flight is held until they land, and no new one starts (Faults.check). LocalStack can corrupt the
 * object an upload was replacing when its client vanishes mid-body (its later GETs all reset the
 * connection); S3 never does (a PutObject is atomic). Crashes between requests still stand for a
 * Lambda that dies mid-upload: on S3 such an upload simply did not happen.
 */
export function holdCrashesDuringUploads(
  // biome-ignore lint/suspicious/noExplicitAny: any SDK v3 client's stack
  client: { middlewareStack: MiddlewareStack<any, any> },
  faults: Faults,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!BODY_WRITES.has(String(context.commandName))) return next(args);
      // A crash is held until the uploads in flight land: none starts meanwhile (the process is
      // about to die; this request never leaves it).
      if (faults.heldCrash !== undefined) return new Promise<never>(() => undefined);
      faults.uploadsInFlight++;
      try {
        return await next(args);
      } finally {
        faults.uploadsInFlight--;
        faults.uploadLanded();
      }
    },
    { step: 'initialize', name: 'holdCrashesDuringUploads' },
  );
}
