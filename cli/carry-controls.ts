import { movedWatchChanges } from '../shared/watch/moved-watch-controls.js';
import type { WatchMove } from '../shared/watch/watch-moves.js';
import { WatchPolicyStore } from '../shared/watch/watch-policy.js';
import { cliRuntime } from './runtime.js';

/**
 * The bucket default encryption and deny statements `setup --watch` set for each moved sse-kms
 * watch follow it to the new key, each change printed before it is made (docs/architecture.md, "Live enforcement").
 */
export async function carryWriteTimeControls(moved: WatchMove[]): Promise<void> {
  const { config, clients } = cliRuntime();
  const watches = new WatchPolicyStore(clients.dynamo, config.ledgerTable, 0);
  for (const move of moved) {
    for (const change of await movedWatchChanges(clients, move, await watches.forBucket(move.bucket))) {
      console.error(`change  ${change.control}  s3://${move.bucket}: ${change.from} -> ${change.to}`);
      await change.apply();
      console.error(`changed ${change.control}  s3://${move.bucket}`);
    }
  }
}
