import { DescribeKeyCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import { classifyAwsError } from '../../shared/aws-errors.js';
import { ConfigError, KeyUnusableError } from '../../shared/errors.js';
import { parseKeyReference } from '../../shared/kms/key-reference.js';
import { resolveUsableKey } from '../../shared/kms/key-service.js';
import { wrappingKeysInUse } from '../../shared/rewrap/key-usage.js';
import { describePlanned, planRewrap } from '../../shared/rewrap/plan-rewrap.js';
import { plannerDeps } from '../../shared/rewrap/planner-deps.js';
import { previewRewrap } from '../../shared/rewrap/preview-rewrap.js';
import { parseS3Uri } from '../../shared/s3-uri.js';
import { describeWatchMove, describeWatchMoveAhead, watchMovesFor } from '../../shared/watch/watch-moves.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { followRunLocally } from '../local-run.js';
import { printQueuedRun } from '../queued-run.js';
import { previewLines } from '../rewrap-preview.js';
import { cliRuntime } from '../runtime.js';

interface RewrapOptions {
  from: string;
  to: string;
  wrappedBefore?: string;
  scan?: boolean;
  inventory?: string;
  dryRun?: boolean;
  local?: boolean;
  pollers: number;
  progress?: boolean;
}

/**
 * The source key may be disabled or pending deletion (that is often why data moves off it): it
 * only has to resolve, to a symmetric encryption key (no other kind can have wrapped a data key or
 * protected an object). Each object whose data key it cannot release then fails with KMS's reason.
 */
async function resolveSourceKey(reference: string): Promise<string> {
  parseKeyReference(reference);
  const { clients } = cliRuntime();
  let metadata: KeyMetadata | undefined;
  try {
    metadata = (await clients.kms.send(new DescribeKeyCommand({ KeyId: reference }))).KeyMetadata;
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFoundException') {
      throw new KeyUnusableError(`KMS key ${reference} not found`, { cause: error });
    }
    throw classifyAwsError(error, `cannot describe KMS key ${reference}`);
  }
  if (!metadata?.Arn) throw new KeyUnusableError(`KMS key ${reference} not found`);
  if (metadata.KeyUsage !== 'ENCRYPT_DECRYPT' || metadata.KeySpec !== 'SYMMETRIC_DEFAULT') {
    throw new KeyUnusableError(
      `--from: KMS key ${metadata.Arn} is ${metadata.KeySpec}/${metadata.KeyUsage}; only a symmetric encryption key wraps data keys`,
    );
  }
  return metadata.Arn;
}

export async function rewrapCommand(uri: string, options: RewrapOptions): Promise<number> {
  const { bucket, key: prefix } = parseS3Uri(uri);
  const { clients } = cliRuntime();
  const fromKeyArn = await resolveSourceKey(options.from);
  // The target must be able to wrap: enabled, symmetric. A bad target changes nothing.
  const toKeyArn = await resolveUsableKey(clients.kms, options.to);
  if (fromKeyArn === toKeyArn) throw new KeyUnusableError('--from and --to name the same key');
  if (options.dryRun) {
    if (options.scan || options.inventory) {
      throw new ConfigError(
        '--dry-run previews from the key manifests; with --scan or --inventory every object is looked at, so there is nothing to count before the run',
      );
    }
    // Reads only: the same manifests and filters a run's plan pages use (docs/architecture.md).
    const { config } = cliRuntime();
    const move = { fromKeyArn, toKeyArn, wrappedBefore: options.wrappedBefore };
    const preview = await previewRewrap(
      { s3: clients.s3, location: config.auditLocation },
      { ...move, bucket, prefix },
    );
    // The watches the run would carry along, decided as the run decides them: a watch it would
    // refuse to move refuses the preview too, with the same message (docs/rotation.md).
    const watches = new WatchPolicyStore(clients.dynamo, config.ledgerTable, 0);
    const moves = watchMovesFor(await watches.forBucket(bucket), { ...move, bucket, prefix });
    console.log([...previewLines(preview, move), ...moves.map(describeWatchMoveAhead)].join('\n'));
    return 0;
  }
  const deps = await plannerDeps();
  const run = await planRewrap(
    { ...deps, reportControlChange: (line: string) => console.error(line) },
    {
      bucket,
      prefix,
      fromKeyArn,
      toKeyArn,
      wrappedBefore: options.wrappedBefore,
      scan: options.scan,
      inventory: options.inventory,
      trigger: 'cli rewrap',
    },
  );
  console.error(
    `run ${run.runId}: ${describePlanned(run, options.inventory ? 'inventory' : 'manifests')} under s3://${bucket}/${prefix} from ${fromKeyArn} to ${toKeyArn}`,
  );
  for (const move of run.watchesMoved ?? []) console.error(describeWatchMove(move));
  if (!options.local) {
    if (run.scanComplete && run.discovered === 0) {
      console.log(run.runId);
      console.error(`run ${run.runId}: nothing queued: no object to re-wrap`);
      return 0;
    }
    // --scan and small manifest plans queue rewrap chunks here; larger plans chain through the scan queue.
    printQueuedRun(run.runId, run.scanComplete ? deps.queues.rewrap : deps.scanQueueUrl);
    return 0;
  }
  return followRunLocally(run, {
    label: 're-wrapping',
    concurrency: options.pollers,
    progress: options.progress,
    sourceKeys: [fromKeyArn],
  });
}

export async function keysCommand(): Promise<number> {
  const { config, clients } = cliRuntime();
  const usage = await wrappingKeysInUse(clients.s3, config.auditLocation);
  if (usage.length === 0) console.log('no objects recorded as protected by a KMS key yet');
  for (const key of usage) {
    // Counts are upper bounds: an object stays in older manifests of a key it has left
    // (docs/architecture.md, "Manifests").
    console.log(
      `${key.keyArn}  ${String(key.objects).padStart(8)} object(s)  oldest wrap ${month(key.oldestWrap)}  newest ${month(key.newestWrap)}`,
    );
  }
  return 0;
}

/** `YYYY-MM` of an ISO time, as the listing has always shown wraps. */
function month(iso: string | undefined): string {
  return iso ? iso.slice(0, 7) : 'unknown';
}
