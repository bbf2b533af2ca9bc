import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type ErrorContext, KeyUnusableError, PermanentError, RetryableError } from './errors.js';

interface AwsErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function shape(error: unknown): AwsErrorShape {
  return typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
}

export function errorName(error: unknown): string {
  const e = shape(error);
  return e.name ?? e.Code ?? 'Error';
}

export function httpStatus(error: unknown): number | undefined {
  return shape(error).$metadata?.httpStatusCode;
}

/** S3 answered 412: an If-Match / CopySourceIfMatch condition did not hold (someone wrote the key). */
export function isPreconditionFailed(error: unknown): boolean {
  return errorName(error) === 'PreconditionFailed' || httpStatus(error) === 412;
}

/** Why one item of a cancelled DynamoDB transaction failed; `Item` (when asked for) stays marshalled. */
export interface TransactionCancellation {
  Code?: string;
  Item?: Record<string, AttributeValue>;
}

/**
 * The per-item reasons of a cancelled TransactWriteItems, in TransactItems order (`Code`
 * 'ConditionalCheckFailed' where that item's condition failed), or undefined for any other error.
 */
export function transactionCancellation(error: unknown): TransactionCancellation[] | undefined {
  return (shape(error) as { CancellationReasons?: TransactionCancellation[] }).CancellationReasons;
}

/** The object or version is gone (deleted since it was listed). */
export function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion' || httpStatus(error) === 404;
}

const KMS_KEY_ERRORS = new Set([
  'NotFoundException',
  'DisabledException',
  'KMSInvalidStateException',
  'InvalidKeyUsageException',
  'IncorrectKeyException',
  'InvalidCiphertextException',
  'AccessDeniedException',
  'KMS.DisabledException',
  'KMS.NotFoundException',
  'KMS.KMSInvalidStateException',
]);

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'SlowDown',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'TooManyRequestsException',
]);

/**
 * Maps an SDK error to the pipeline's retry decision: throttling, 5xx and network faults are worth
 * another try; a KMS key that is missing, disabled or denied, and other 4xx, are not.
 */
export function classifyAwsError(error: unknown, message: string, context: ErrorContext = {}): Error {
  if (error instanceof RetryableError || error instanceof PermanentError) return error;
  const name = errorName(error);
  const status = httpStatus(error);
  const reason = `${message}: ${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  if (KMS_KEY_ERRORS.has(name) || (status === 400 && /KMS/i.test(reason))) {
    return new KeyUnusableError(reason, { cause: error, context });
  }
  if (THROTTLING.has(name) || status === undefined || status >= 500 || status === 429) {
    return new RetryableError(reason, { cause: error, context });
  }
  return new PermanentError(reason, { cause: error, context });
}
