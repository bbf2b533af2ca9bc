import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { RotationPolicy } from '../config.js';
import { describeError } from '../errors.js';
import { resolveUsableKey } from '../kms/key-service.js';
import type { AliasTargets } from './alias-targets.js';
import { wrappingKeysInUse } from './key-usage.js';
import type { RotatedKey } from './kms-rotation-event.js';
import { type PlanDeps, type PlannedRun, planRewrap } from './plan-rewrap.js';

export interface RotationPlannerDeps extends PlanDeps {
  aliases: AliasTargets;
  now: () => Date;
}

export interface PlannedRewrap {
  trigger: string;
  fromKeyArn: string;
  toKeyArn: string;
  wrappedBefore?: string;
  run?: PlannedRun;
  /** Why this plan could not run (e.g. the target key is disabled); nothing was enqueued. */
  error?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A key's material was rotated: re-wrap, under the same key, every data key it wrapped before the
 * rotation. KMS keeps the old material, so this is a choice (fresh material for every object),
 * not a necessity for reading.
 */
export async function planForRotation(
  deps: RotationPlannerDeps,
  rotated: RotatedKey,
): Promise<PlannedRewrap> {
  return plan(deps, {
    trigger: `kms-rotation ${rotated.rotatedAt}`,
    fromKeyArn: rotated.keyArn,
    toKeyArn: rotated.keyArn,
    wrappedBefore: rotated.rotatedAt,
  });
}

/** A re-wrap a rotation policy asks for, before anything is planned. */
export type RotationMove = Omit<PlannedRewrap, 'run' | 'error'>;

/**
 * The scheduled pass over the rotation policies:
 * - max data-key age: every key in use whose oldest wrap is older than the limit is re-wrapped,
 *   under itself, for exactly the objects wrapped before the cut-off;
 * - aliases: objects under a key the alias pointed at before move to the key it points at now.
 * One run per (source, target); plans that find nothing create no run.
 */
export async function planScheduledRotations(
  deps: RotationPlannerDeps,
  policy: RotationPolicy,
): Promise<PlannedRewrap[]> {
  const { moves, aliasTargets } = await scheduledMoves(deps, policy);
  const plans: PlannedRewrap[] = [];
  for (const move of moves) plans.push(await plan(deps, move));
  for (const [alias, current] of aliasTargets) await deps.aliases.record(alias, current, deps.now());
  return plans;
}

/**
 * What the rotation policies ask for now, with reads only (no run, no alias target recorded):
 * the moves {@link planScheduledRotations} plans, and each watched alias's current target, which
 * it records after planning. `rotate --policies --dry-run` previews these.
 */
export async function scheduledMoves(
  deps: Pick<RotationPlannerDeps, 'kms' | 'aliases' | 's3' | 'location' | 'now'>,
  policy: RotationPolicy,
): Promise<{ moves: RotationMove[]; aliasTargets: Map<string, string> }> {
  const moves: RotationMove[] = [];
  const aliasTargets = new Map<string, string>();
  for (const alias of policy.aliases) {
    const current = await currentTarget(deps.kms, alias);
    for (const previous of await deps.aliases.seen(alias)) {
      if (previous === current) continue;
      moves.push({ trigger: `alias ${alias}`, fromKeyArn: previous, toKeyArn: current });
    }
    aliasTargets.set(alias, current);
  }
  if (policy.maxKeyAgeDays) {
    const cutOff = new Date(deps.now().getTime() - policy.maxKeyAgeDays * DAY_MS).toISOString();
    // The manifests' metadata say which keys may hold a wrap older than the cut-off; the plan then
    // reads their entries, so a key that holds none creates no run.
    for (const usage of await wrappingKeysInUse(deps.s3, deps.location)) {
      if (!usage.oldestWrap || usage.oldestWrap >= cutOff) continue;
      moves.push({
        trigger: `max-key-age ${policy.maxKeyAgeDays}d`,
        fromKeyArn: usage.keyArn,
        toKeyArn: usage.keyArn,
        wrappedBefore: cutOff,
      });
    }
  }
  return { moves, aliasTargets };
}

async function plan(deps: RotationPlannerDeps, wanted: RotationMove): Promise<PlannedRewrap> {
  try {
    // A disabled or missing target fails the plan before anything is enqueued.
    await resolveUsableKey(deps.kms, wanted.toKeyArn);
    const run = await planRewrap(deps, { ...wanted, prefix: '' }, { skipEmpty: true });
    return { ...wanted, run };
  } catch (error) {
    return { ...wanted, error: describeError(error) };
  }
}

async function currentTarget(kms: KMSClient, alias: string): Promise<string> {
  const out = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
  return out.KeyMetadata!.Arn!;
}
