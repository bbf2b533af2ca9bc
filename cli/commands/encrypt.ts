import { startRun } from '../../shared/jobs/start-run.js';
import { resolveQueueUrls } from '../../shared/queues.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { followRunLocally } from '../local-run.js';
import { cliRuntime } from '../runtime.js';

export interface EncryptOptions {
  mode: string;
  key?: string;
  local?: boolean;
  concurrency: number;
  progress?: boolean;
}

/** Starts a backfill run and, with --local, processes it here; returns the exit code. */
export async function encryptCommand(uri: string, options: EncryptOptions): Promise<number> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  const { config, clients } = cliRuntime();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  const queues = await resolveQueueUrls(clients.sqs, config);
  const run = await startRun(
    { ...clients, runs, queues },
    { bucket, prefix, mode: options.mode, key: options.key },
  );
  console.error(
    `run ${run.runId}: ${options.mode}${run.keyArn ? ` under ${run.keyArn}` : ''} for s3://${bucket}/${prefix}`,
  );
  if (!options.local) {
    console.log(run.runId);
    console.error('queued; deployed functions or `s3-seal encrypt --local` workers process it');
    return 0;
  }
  return followRunLocally(run, {
    label: 'encrypting',
    concurrency: options.concurrency,
    progress: options.progress,
  });
}
