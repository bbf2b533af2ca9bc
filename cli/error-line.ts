import { errorName } from '../shared/aws-errors.js';
import { describeError } from '../shared/errors.js';

/** The error, or the AWS error it wraps, is DynamoDB's answer for a table that does not exist. */
function isMissingTable(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return [error, cause].some((e) => e !== undefined && errorName(e) === 'ResourceNotFoundException');
}

/**
 * The one line the CLI prints for a failed command: the error's own reason, and what to do where
 * the reason alone does not say (a stage whose tables were never created).
 */
export function cliErrorLine(error: unknown): string {
  const reason = describeError(error);
  if (isMissingTable(error)) {
    const tables = [process.env.S3SEAL_LEDGER_TABLE, process.env.S3SEAL_AUDIT_TABLE].filter(Boolean);
    const named = tables.length > 0 ? ` (${tables.join(', ')})` : '';
    return `${reason}: a table of this stage${named} does not exist: run \`s3-seal setup\` first`;
  }
  return reason;
}
