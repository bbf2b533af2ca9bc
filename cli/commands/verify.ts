import { ConfigError } from '../../shared/errors.js';
import { verifyEstate } from '../../shared/estate/estate-verify.js';
import { assertBucketReachable } from '../../shared/jobs/start-run.js';
import { loadSseCustomerKeyFile, type SseCustomerKey } from '../../shared/s3/sse-c-key.js';
import { displayS3Uri, parseS3Uri } from '../../shared/s3-uri.js';
import { checkListing } from '../../shared/verify/check-listing.js';
import {
  checkRequirement,
  objectChecker,
  type VerifyRequirement,
} from '../../shared/verify/object-problem.js';
import { DEFAULT_BUCKET_CONCURRENCY, type EstateOptions, estateFilter } from '../estate-options.js';
import { formatEstateVerify } from '../estate-verify-report.js';
import { cliRuntime } from '../runtime.js';
import { reportVersionsLeft } from '../versions-left.js';

/** The server-side rule of `--key` alone; kept here for its callers. */
export { serverSideKeyProblem } from '../../shared/verify/object-problem.js';

interface VerifyOptions extends VerifyRequirement, EstateOptions {
  concurrency: number;
  sseCKeyFile?: string;
  versions?: boolean;
  json?: boolean;
}

export async function verifyCommand(uri: string | undefined, options: VerifyOptions): Promise<number> {
  const filter = estateFilter(options);
  if (filter && uri !== undefined)
    throw new ConfigError(`give s3://BUCKET or --all-buckets, not both (${uri})`);
  if (!filter && uri === undefined) throw new ConfigError('give s3://BUCKET[/PREFIX], or --all-buckets');
  if (!filter && options.json) throw new ConfigError('--json is used only with --all-buckets');
  if (filter && options.versions) {
    throw new ConfigError(
      '--versions lists one bucket’s versions: not used with --all-buckets (its rows count them)',
    );
  }
  const location = uri === undefined ? undefined : parseS3Uri(uri);
  checkRequirement(options);
  const customerKey = options.sseCKeyFile ? await loadSseCustomerKeyFile(options.sseCKeyFile) : undefined;
  try {
    if (filter) {
      const { clients } = cliRuntime();
      const verdict = await verifyEstate(clients, {
        filter,
        requirement: options,
        bucketConcurrency: options.bucketConcurrency ?? DEFAULT_BUCKET_CONCURRENCY,
        concurrency: options.concurrency,
        customerKey,
      });
      console.log(options.json ? JSON.stringify(verdict, null, 2) : formatEstateVerify(verdict).join('\n'));
      // No bucket checked proves nothing: a mistyped filter must not read as a clean bill.
      return verdict.totals.buckets > 0 && verdict.totals.passed === verdict.totals.buckets ? 0 : 1;
    }
    return await verifyObjects(location!.bucket, location!.key, options, customerKey);
  } finally {
    customerKey?.destroy();
  }
}

async function verifyObjects(
  bucket: string,
  prefix: string,
  options: VerifyOptions,
  customerKey: SseCustomerKey | undefined,
): Promise<number> {
  const { clients } = cliRuntime();
  await assertBucketReachable(clients.s3, bucket);
  const problemOf = await objectChecker(clients.kms, options);
  let checked = 0;
  let problems = 0;
  let gone = 0;
  let sseCustomer = 0;
  const scope = { bucket, prefix, concurrency: options.concurrency, customerKey };
  for await (const found of checkListing(clients.s3, scope, problemOf)) {
    for (const { key, problem, gone: deleted, sseC, unchecked } of found) {
      checked++;
      if (sseC) sseCustomer++;
      if (deleted) {
        gone++;
        console.log(`GONE  ${displayS3Uri({ bucket, key })}  deleted while verify ran`);
      } else if (problem) {
        problems++;
        console.log(
          `${unchecked ? 'NOT CHECKED  ' : 'NOT COMPLIANT'}  ${displayS3Uri({ bucket, key })}  ${problem}`,
        );
      }
    }
    if (process.stderr.isTTY) process.stderr.write(`\rverified ${checked} objects…`);
  }
  if (process.stderr.isTTY) process.stderr.write('\r');
  console.log(
    `verified ${checked} objects under ${displayS3Uri({ bucket, key: prefix })}: ${checked - problems - gone} compliant, ${problems} not` +
      (sseCustomer > 0 ? ` (${sseCustomer} SSE-C)` : '') +
      (gone > 0 ? `, ${gone} deleted while verify ran` : ''),
  );
  // Nothing checked proves nothing: a mistyped prefix must not read as a clean bill.
  if (checked === 0) {
    console.error(`verify: no objects under ${displayS3Uri({ bucket, key: prefix })}: nothing was checked`);
  }
  // Older versions are not what a run protects, but their plaintext is still there: count it, and
  // with --versions name each one and count them as problems.
  const left = await reportVersionsLeft(clients.s3, { bucket, prefix }, { list: options.versions === true });
  if (options.versions) problems += left.plaintext.length;
  return problems > 0 ? 1 : 0;
}
