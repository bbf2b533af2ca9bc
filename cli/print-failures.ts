import { deploymentChunkSource } from '../shared/audit/deployment-chunk-source.js';
import { runRecords } from '../shared/audit/run-records.js';
import { handlerRuntime } from '../shared/handler-runtime.js';
import { displayS3Uri } from '../shared/s3-uri.js';

/**
 * A failed record's reason and what went wrong: `sse-c-wrong-key: S3 refused …`,
 * `EnvelopeAuthenticationError: GCM authentication failed: …` (a record's reason alone is often
 * only the error's class name, which the summary's counts already show).
 */
function failureOf(record: { reason?: string; error?: string }): string {
  const { reason, error } = record;
  if (!reason || !error) return reason ?? error ?? '';
  return error.startsWith(reason) ? error : `${reason}: ${error}`;
}

/** Names every object that failed, with its reason, from the run's committed chunk logs. */
export async function printFailures(runId: string, limit = 100): Promise<void> {
  const { config, clients } = handlerRuntime();
  let shown = 0;
  let more = 0;
  for await (const record of runRecords(deploymentChunkSource(clients, config), runId)) {
    if (record.decision !== 'failed') continue;
    if (shown++ < limit) console.log(`  failed: ${displayS3Uri(record)}: ${failureOf(record)}`);
    else more++;
  }
  if (more > 0) console.log(`  ... and ${more} more (\`s3-seal audit export --run ${runId}\`)`);
}
