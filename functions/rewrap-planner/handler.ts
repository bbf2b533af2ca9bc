import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { RotationPolicy } from '../../shared/config.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { MalformedMessageError } from '../../shared/jobs/messages.js';
import { logger } from '../../shared/logger.js';
import { parseRotationEvent } from '../../shared/rewrap/kms-rotation-event.js';
import { plannerDeps } from '../../shared/rewrap/planner-deps.js';
import {
  type PlannedRewrap,
  planForRotation,
  planScheduledRotations,
  type RotationPlannerDeps,
} from '../../shared/rewrap/rotation-planner.js';
import type { WatchMove } from '../../shared/watch/watch-moves.js';
import { once } from '../lazy.js';

export type PlannerDeps = RotationPlannerDeps & { policy: RotationPolicy };

export interface PlannerResult {
  /**
   * `chains`: index shards whose page chains (on the scan queue) enqueue the run's jobs;
   * `objects`: objects enqueued by the time the planner returned (0 while chains are pending; the
   * run's `discovered` counts them as they go).
   */
  plans: Array<
    Omit<PlannedRewrap, 'run'> & {
      runId?: string;
      objects: number;
      chains: number;
      /** The watch policies the plan moved from its source key to its target (docs/architecture.md, "Live enforcement"). */
      watchesMoved: WatchMove[];
    }
  >;
}

/**
 * The rewrap planner, invoked by EventBridge: a KMS "KMS CMK Rotation" event re-wraps what the
 * rotated key wrapped before the rotation; the schedule (`source` aws.events, "Scheduled Event")
 * evaluates the rotation policies. Anything else is refused with the reason.
 */
export function createPlannerHandler(deps: () => Promise<PlannerDeps> | PlannerDeps) {
  return async (event: unknown, _context?: Context): Promise<PlannerResult> => {
    const resolved = await deps();
    const source = (event as { source?: unknown } | null)?.source;
    let plans: PlannedRewrap[];
    if (source === 'aws.kms') {
      plans = [await planForRotation(resolved, parseRotationEvent(event))];
    } else if (source === 'aws.events' || source === 's3-seal.schedule') {
      plans = await planScheduledRotations(resolved, resolved.policy);
    } else {
      throw new MalformedMessageError(
        `rewrap planner: unsupported event source ${JSON.stringify(source)} (expected aws.kms or aws.events)`,
      );
    }
    const result: PlannerResult = {
      plans: plans.map(({ run, ...plan }) => ({
        ...plan,
        runId: run?.runId,
        objects: run?.discovered ?? 0,
        chains: run?.chains ?? 0,
        watchesMoved: run?.watchesMoved ?? [],
      })),
    };
    for (const plan of result.plans) {
      if (plan.error) logger.error('rewrap plan failed', { ...plan });
      else logger.info('rewrap planned', { ...plan });
    }
    return result;
  };
}

async function defaultDeps(): Promise<PlannerDeps> {
  return { ...(await plannerDeps()), policy: handlerRuntime().config.rotation };
}

export const handler = middy(createPlannerHandler(once(defaultDeps))).use(injectLambdaContext(logger));
