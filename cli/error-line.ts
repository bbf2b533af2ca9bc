import { errorName } from '../shared/aws-errors.js';
import { describeError } from '../shared/errors.js';

const LOCAL_STACK = '`source localstack/local.env` for the local stack';

/** The error and the errors it wraps (`cause`), outermost first. */
function chain(error: unknown): unknown[] {
  const errors: unknown[] = [];
  for (let e: unknown = error; e !== undefined && errors.length < 8; e = (e as Error).cause) {
    errors.push(e);
    if (!(e instanceof Error)) break;
  }
  return errors;
}

/** The error, or an error it wraps, is DynamoDB's answer for a table that does not exist. */
function isMissingTable(error: unknown): boolean {
  return chain(error).some((e) => errorName(e) === 'ResourceNotFoundException');
}

/**
 * The SDK could not configure a client: no region, or no credentials from any provider. Commands
 * meet it on their first call, often inside a step that wraps it (a queue lookup would otherwise
 * read "queue … not found: run setup"), so the whole chain is searched and the SDK's own error
 * becomes the reason. Same wording for every command (docs/vocabulary.md, "Errors").
 */
function clientSetupHint(error: unknown): string | undefined {
  for (const e of chain(error)) {
    if (e instanceof Error && e.message.startsWith('Region is missing')) {
      return `${describeError(e)}: set AWS_REGION (or AWS_PROFILE, a profile with a region), or ${LOCAL_STACK}`;
    }
    if (errorName(e) === 'CredentialsProviderError') {
      return `${describeError(e)}: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or ${LOCAL_STACK}`;
    }
  }
  return undefined;
}

/**
 * The one line the CLI prints for a failed command: the error's own reason, and what to do where
 * the reason alone does not say (no region or credentials; a stage whose tables were never created).
 */
export function cliErrorLine(error: unknown): string {
  const setup = clientSetupHint(error);
  if (setup) return setup;
  const reason = describeError(error);
  if (isMissingTable(error)) {
    const tables = [process.env.S3SEAL_LEDGER_TABLE, process.env.S3SEAL_AUDIT_TABLE].filter(Boolean);
    const named = tables.length > 0 ? ` (${tables.join(', ')})` : '';
    return `${reason}: a table of this stage${named} does not exist: run \`s3-seal setup\` first`;
  }
  return reason;
}
