import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Run } from '../runs/run-store.js';
import { checkListing } from '../verify/check-listing.js';
import { objectChecker, type VerifyRequirement } from '../verify/object-problem.js';
import type { LiveVerify } from './report-context.js';

/** Problems the page names one by one; the rest are counted. */
const PROBLEMS_NAMED = 20;

/**
 * What a run asked of its objects, as `s3-seal verify` takes it: a backfill's mode and key (and S3EC
 * format); a re-wrap's target key by any means (the objects keep their own mode).
 */
export function requirementOf(run: Run): VerifyRequirement {
  if (run.mode === 'rewrap') return { key: run.keyArn };
  return {
    mode: run.mode,
    ...(run.keyArn ? { key: run.keyArn } : {}),
    ...(run.mode === 'envelope' && run.format === 'v3' ? { s3ecFormat: 'v3' as const } : {}),
  };
}

/**
 * `s3-seal verify` over the run's bucket and prefix as they are now, for `report --verify`
 * (docs/reports.md): every current object HEADed and checked against the run's requirement, the
 * first problems named. Objects written after the run are checked too: the page says when.
 */
export async function verifyRunScope(
  clients: { s3: S3Client; kms: KMSClient },
  run: Run,
  concurrency: number,
): Promise<LiveVerify> {
  const requirement = requirementOf(run);
  const problemOf = await objectChecker(clients.kms, requirement);
  const result: LiveVerify = {
    at: new Date().toISOString(),
    checked: 0,
    compliant: 0,
    problems: 0,
    named: [],
  };
  const scope = { bucket: run.bucket, prefix: run.prefix, concurrency };
  for await (const found of checkListing(clients.s3, scope, problemOf)) {
    for (const object of found) {
      if (object.gone) continue;
      result.checked += 1;
      if (!object.problem) {
        result.compliant += 1;
        continue;
      }
      result.problems += 1;
      if (result.named.length < PROBLEMS_NAMED)
        result.named.push({ key: object.key, problem: object.problem });
    }
  }
  return result;
}
