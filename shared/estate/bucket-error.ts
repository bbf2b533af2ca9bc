import { errorName, httpStatus } from '../aws-errors.js';
import { describeError } from '../errors.js';

/**
 * Why one bucket of an estate could not be read, in a few words: it becomes that bucket's row,
 * never the run's failure (docs/estate.md, "One bucket's error").
 */
export function bucketErrorReason(error: unknown): string {
  const name = errorName(error);
  const status = httpStatus(error);
  if (name === 'NoSuchBucket' || (status === 404 && name === 'NotFound'))
    return 'bucket does not exist (deleted since listed?)';
  if (status === 403 || name === 'AccessDenied') return `access denied (${describeError(error)})`;
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed')
    return `bucket is in another region than the request (${describeError(error)})`;
  return describeError(error);
}
