import { RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import type { Command } from 'commander';
import { classifyAwsError } from '../../shared/aws-errors.js';
import { ConfigError } from '../../shared/errors.js';
import { resolveUsableKey } from '../../shared/kms/key-service.js';
import { plannerDeps } from '../../shared/rewrap/planner-deps.js';
import {
  type PlannedRewrap,
  planForRotation,
  planScheduledRotations,
} from '../../shared/rewrap/rotation-planner.js';
import { INTERRUPTED_EXIT } from '../interrupt.js';
import { followRunLocally } from '../local-run.js';
import { cliRuntime } from '../runtime.js';

interface RotateOptions {
  key?: string;
  onDemand?: boolean;
  before?: string;
  policies?: boolean;
  local?: boolean;
  concurrency: string;
  progress?: boolean;
}

async function rotateCommand(options: RotateOptions): Promise<number> {
  if (Boolean(options.key) === Boolean(options.policies)) {
    throw new ConfigError('give exactly one of --key KEY or --policies');
  }
  const { config, clients } = cliRuntime();
  const deps = await plannerDeps();
  let plans: PlannedRewrap[];
  if (options.key) {
    // Re-wrapping under the key itself: it must be enabled.
    const keyArn = await resolveUsableKey(clients.kms, options.key);
    if (options.onDemand) {
      try {
        await clients.kms.send(new RotateKeyOnDemandCommand({ KeyId: keyArn }));
      } catch (error) {
        throw classifyAwsError(error, `KMS RotateKeyOnDemand for ${keyArn} failed`);
      }
      console.error(`rotated the key material of ${keyArn} on demand`);
    }
    const rotatedAt = options.before ? new Date(options.before) : new Date();
    if (Number.isNaN(rotatedAt.getTime())) throw new ConfigError(`--before: not a time: ${options.before}`);
    plans = [await planForRotation(deps, { keyArn, rotatedAt: rotatedAt.toISOString() })];
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
    console.error(`run ${plan.run.runId}: ${what}: re-wrapping ${plan.run.discovered} object(s)`);
    if (!options.local) {
      console.log(plan.run.runId);
      continue;
    }
    const code = await followRunLocally(plan.run, {
      label: 're-wrapping',
      concurrency: options.concurrency,
      progress: options.progress,
    });
    exitCode = Math.max(exitCode, code);
    // Interrupted: stop here, leaving the remaining plans alone (the printed hint resumes this run).
    if (Object.values(INTERRUPTED_EXIT).includes(code)) return code;
  }
  return exitCode;
}

export function registerRotate(program: Command): void {
  program
    .command('rotate')
    .description(
      're-wrap what a KMS key wrapped before its latest rotation, or apply the rotation policies once',
    )
    .option(
      '--key <key>',
      'the rotated key (id, ARN or alias); objects stay under it, with fresh key material',
    )
    .option('--on-demand', 'with --key: first rotate the key material now (KMS RotateKeyOnDemand)')
    .option('--before <iso-time>', 'with --key: the rotation time (default: now)')
    .option(
      '--policies',
      'evaluate S3SEAL_ROTATION_MAX_KEY_AGE_DAYS and S3SEAL_ROTATION_ALIASES, as the schedule does',
    )
    .option('--local', 'also process the runs in this process with the Lambda handlers, and wait for them')
    .option('--concurrency <n>', 'with --local: rewrap pollers, ten objects each', '4')
    .option('--no-progress', 'with --local: no progress bar')
    .addHelpText(
      'after',
      '\nKMS keeps every rotated key material, so reading never needs this; it is for policies that\nwant no data key wrapped under old material (or older than N days).',
    )
    .action(async (options: RotateOptions) => {
      process.exitCode = await rotateCommand(options);
    });
}
