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
