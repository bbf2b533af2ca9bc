/**
 * One error base for the pipeline. The subclass decides what a queue handler does with a record:
 * a {@link RetryableError} goes back to the queue, a {@link PermanentError} is recorded in the
 * ledger and dropped, because retrying it could only fail the same way.
 */
export interface ErrorContext {
  bucket?: string;
  key?: string;
  jobId?: string;
  runId?: string;
}

export class SealError extends Error {
  readonly context: ErrorContext;
  constructor(message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
  }
}

/** A passing condition (throttling, a 5xx, a lost lease): try the record again later. */
export class RetryableError extends SealError {}

/**
 * Another attempt holds a live claim on this object. Not a failure: try again once the lease has
 * run out, when either that attempt has finished or its claim can be taken over.
 */
export class LeaseHeldError extends RetryableError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    context: ErrorContext = {},
  ) {
    super(message, { context });
  }
}

/** Retrying cannot help (bad input, a disabled key, an object S3 refuses): record it and move on. */
export class PermanentError extends SealError {}

/** Bad configuration or command-line input: nothing was changed. */
export class ConfigError extends PermanentError {}

/** The object's envelope metadata is missing or malformed. */
export class EnvelopeFormatError extends PermanentError {}

/** A client-side envelope in a format s3-seal does not read (V1, another algorithm, mixed versions). */
export class UnsupportedEnvelopeError extends EnvelopeFormatError {}

/** AES-GCM authentication failed: the ciphertext, IV, tag or data key do not belong together. */
export class EnvelopeAuthenticationError extends PermanentError {}

/** A KMS key that cannot be used for this job: missing, disabled, wrong type, or access denied. */
export class KeyUnusableError extends PermanentError {}

/** Raised by fault injection at a named point, to prove recovery from a crash there. */
export class InjectedCrashError extends SealError {
  constructor(readonly point: string) {
    super(`injected crash at ${point}`);
  }
}

/** A short, single-line reason for a ledger record, a summary line or a CLI exit message. */
export function describeError(error: unknown): string {
  if (error instanceof SealError) return error.message.split('\n')[0] ?? '';
  if (error instanceof Error) {
    const code = (error as { Code?: string; name?: string }).Code ?? error.name;
    const text = error.message.split('\n')[0] ?? '';
    // A plain Error's name says nothing ("s3-seal: error: Error: …"); an AWS error's code does.
    return code && code !== 'Error' && !text.startsWith(code) ? `${code}: ${text}` : text;
  }
  return String(error);
}
