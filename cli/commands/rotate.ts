import { RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { classifyAwsError } from '../../shared/aws-errors.js';
import { ConfigError } from '../../shared/errors.js';
import { resolveUsableKey } from '../../shared/kms/key-service.js';
import { describePlanned } from '../../shared/rewrap/plan-rewrap.js';
import { plannerDeps } from '../../shared/rewrap/planner-deps.js';
import { previewRewrap } from '../../shared/rewrap/preview-rewrap.js';
import {
  type PlannedRewrap,
  planForRotation,
  planScheduledRotations,
  scheduledMoves,
} from '../../shared/rewrap/rotation-planner.js';
import { describeWatchMove } from '../../shared/watch/watch-moves.js';
import { INTERRUPTED_EXIT } from '../interrupt.js';
import { followRunLocally } from '../local-run.js';
import { printQueuedRun } from '../queued-run.js';
import { previewLines } from '../rewrap-preview.js';
import { cliRuntime } from '../runtime.js';

interface RotateOptions {
  key?: string;
  onDemand?: boolean;
  wrappedBefore?: string;
  policies?: boolean;
  dryRun?: boolean;
  local?: boolean;
  pollers: number;
  progress?: boolean;
}

export async function rotateCommand(options: RotateOptions): Promise<number> {
  if (Boolean(options.key) === Boolean(options.policies)) {
    throw new ConfigError('give exactly one of --key KEY or --policies');
  }
  if (options.policies && (options.onDemand || options.wrappedBefore)) {
    throw new ConfigError('--on-demand and --wrapped-before are used only with --key');
  }
  if (options.onDemand && options.wrappedBefore) {
    // The on-demand rotation's own time is the cut-off; another one would re-wrap too little or too much.
    throw new ConfigError('--wrapped-before is the time of an earlier rotation: not used with --on-demand');
  }
  const { config, clients } = cliRuntime();
  // A move to another key (an alias change) carries its watches' write-time controls along, each
  // change printed before it is made.
  const deps = { ...(await plannerDeps()), reportControlChange: (line: string) => console.error(line) };
  if (options.dryRun && options.policies) {
    // Reads only: no run planned, no alias target recorded (the next real pass sees the same).
    const { moves } = await scheduledMoves(deps, config.rotation);
    if (moves.length === 0) console.log('no rotation policy matches anything');
    for (const move of moves) {
      const preview = await previewRewrap(deps, { ...move, prefix: '' });
      console.log([`${move.trigger}:`, ...previewLines(preview, move).map((line) => `  ${line}`)].join('\n'));
    }
    return 0;
  }
  let plans: PlannedRewrap[];
  if (options.key) {
    // Re-wrapping under the key itself: it must be enabled.
    const keyArn = await resolveUsableKey(clients.kms, options.key);
    // What it will re-wrap, per bucket, before anything changes (the key material included).
    const move = {
      fromKeyArn: keyArn,
      toKeyArn: keyArn,
      wrappedBefore: options.onDemand ? undefined : (options.wrappedBefore ?? new Date().toISOString()),
    };
    const preview = previewLines(await previewRewrap(deps, { ...move, prefix: '' }), move);
    if (options.dryRun) {
      console.log(preview.join('\n'));
      return 0;
    }
    console.error(preview.join('\n'));
    if (options.onDemand) {
      try {
        await clients.kms.send(new RotateKeyOnDemandCommand({ KeyId: keyArn }));
      } catch (error) {
        throw classifyAwsError(error, `KMS RotateKeyOnDemand for ${keyArn} failed`);
      }
      console.error(`rotated the key material of ${keyArn} on demand`);
    }
    // --wrapped-before is checked by its parser, before the key material is rotated.
    const rotatedAt = options.wrappedBefore ?? new Date().toISOString();
    plans = [await planForRotation(deps, { keyArn, rotatedAt })];
  } else {
    plans = await planScheduledRotations(deps, config.rotation);
    if (plans.length === 0) console.error('no rotation policy matched anything');
  }
  let exitCode = 0;
  for (const plan of plans) {
    const what = `${plan.trigger}: ${plan.fromKeyArn} -> ${plan.toKeyArn}${plan.wrappedBefore ? ` (wrapped before ${plan.wrappedBefore})` : ''}`;
    if (plan.error) {
      console.error(`${what}: not planned: ${plan.error}`);
      exitCode = 1;
      continue;
    }
    if (!plan.run) {
      console.error(`${what}: nothing to re-wrap`);
      continue;
    }
    console.error(`run ${plan.run.runId}: ${what}: ${describePlanned(plan.run)}`);
    for (const move of plan.run.watchesMoved ?? []) console.error(describeWatchMove(move));
    if (!options.local) {
      // Small plans queue their rewrap chunks at once; larger ones chain through the scan queue.
      printQueuedRun(plan.run.runId, plan.run.scanComplete ? deps.queues.rewrap : deps.scanQueueUrl);
      continue;
    }
    const code = await followRunLocally(plan.run, {
      label: 're-wrapping',
      concurrency: options.pollers,
      progress: options.progress,
      sourceKeys: [plan.fromKeyArn],
    });
    exitCode = Math.max(exitCode, code);
    // Interrupted: stop here, leaving the remaining plans alone (the printed hint resumes this run).
    if (Object.values(INTERRUPTED_EXIT).includes(code)) return code;
  }
  return exitCode;
}
