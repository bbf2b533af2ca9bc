import { ConfigError } from '../errors.js';
import type { ProtectionMode } from '../policy.js';
import type { WatchPolicy, WatchPolicyStore } from './watch-policy.js';

/** A watch policy a re-wrap moved from one KMS key to another, as the run records and prints it. */
export interface WatchMove {
  bucket: string;
  prefix: string;
  suffix: string;
  mode: ProtectionMode;
  notificationId: string;
  fromKeyArn: string;
  toKeyArn: string;
}

/** What a re-wrap covers: one bucket and prefix, or (no bucket) every bucket. */
export interface RewrapScope {
  bucket?: string;
  prefix: string;
  fromKeyArn: string;
  toKeyArn: string;
}

/** `s3://bucket/prefix*suffix`, as setup prints a watch. */
export function watchScope(watch: Pick<WatchPolicy, 'bucket' | 'prefix' | 'suffix'>): string {
  return `s3://${watch.bucket}/${watch.prefix}*${watch.suffix}`;
}

/**
 * Which watch policies a re-wrap from A to B carries along (docs/architecture.md, "Live
 * enforcement"). Pure. A watch naming A must not keep sealing new uploads under A once its objects
 * move to B (verify --key B would fail, and retiring A would strand them):
 * - a rotation (A to A) moves nothing: the watch already names the key;
 * - a watch naming another key, or covering keys the re-wrap does not reach (another bucket, a
 *   disjoint prefix), is not concerned;
 * - a watch inside the re-wrapped scope (its prefix starts with the re-wrap's; any suffix, since a
 *   re-wrap takes every suffix) moves to B;
 * - a watch wider than the re-wrap (s3://b/ watched, s3://b/logs/ re-wrapped) is refused: moving it
 *   puts new uploads outside the prefix under B while their neighbours stay under A, keeping it
 *   leaves new uploads inside the prefix under A. Only the user can choose, so nothing is recorded
 *   and the message says both ways out.
 * B always fits the watch's mode: it resolved to an enabled symmetric key, which both envelope and
 * sse-kms use, and an sse-s3 watch names no key.
 */
export function watchMovesFor(watches: WatchPolicy[], scope: RewrapScope): WatchMove[] {
  if (scope.fromKeyArn === scope.toKeyArn) return [];
  const concerned = watches.filter(
    (w) =>
      w.keyArn === scope.fromKeyArn &&
      (scope.bucket === undefined ||
        (w.bucket === scope.bucket &&
          (w.prefix.startsWith(scope.prefix) || scope.prefix.startsWith(w.prefix)))),
  );
  const wider = concerned.find((w) => scope.bucket !== undefined && !w.prefix.startsWith(scope.prefix));
  if (wider) {
    const rewrapped = `s3://${scope.bucket}/${scope.prefix}`;
    const suffix = wider.suffix ? ` --suffix ${wider.suffix}` : '';
    throw new ConfigError(
      `the watch on ${watchScope(wider)} (${wider.mode}) seals new uploads under ${scope.fromKeyArn} and covers more than ${rewrapped}: re-wrap s3://${wider.bucket}/${wider.prefix} whole (the watch then moves to ${scope.toKeyArn} with it), or first point the watch where you want it (s3-seal setup --watch s3://${wider.bucket}/${wider.prefix} --mode ${wider.mode} --key ${scope.toKeyArn}${suffix})`,
    );
  }
  return concerned.map((w) => moveOf(w, scope));
}

/**
 * The watches inside the scope that an earlier plan of this same move already took from A to B
 * (their `movedFrom`). Pure. Their write-time controls are carried again with this plan's moves:
 * that changes nothing where they followed, and completes a carry an earlier attempt left undone
 * (a denied PutBucketPolicy, a planner that died after moving the watch), which no later plan
 * would otherwise see, the watch no longer naming A.
 */
export function earlierMovesOf(watches: WatchPolicy[], scope: RewrapScope): WatchMove[] {
  if (scope.fromKeyArn === scope.toKeyArn) return [];
  return watches
    .filter(
      (w) =>
        w.keyArn === scope.toKeyArn &&
        w.movedFrom === scope.fromKeyArn &&
        (scope.bucket === undefined || (w.bucket === scope.bucket && w.prefix.startsWith(scope.prefix))),
    )
    .map((w) => moveOf(w, scope));
}

function moveOf(w: WatchPolicy, scope: RewrapScope): WatchMove {
  return {
    bucket: w.bucket,
    prefix: w.prefix,
    suffix: w.suffix,
    mode: w.mode,
    notificationId: w.notificationId,
    fromKeyArn: scope.fromKeyArn,
    toKeyArn: scope.toKeyArn,
  };
}

/** Moves each watch whose move was decided; one changed meanwhile (setup --watch) is left as it is. */
export async function moveWatches(
  store: WatchPolicyStore,
  moves: WatchMove[],
  runId: string,
  at: Date,
): Promise<WatchMove[]> {
  const moved: WatchMove[] = [];
  for (const move of moves) {
    const current = (await store.forBucket(move.bucket)).find(
      (w) => w.notificationId === move.notificationId,
    );
    if (!current) continue;
    const done = await store.moveKey(current, move.fromKeyArn, move.toKeyArn, {
      runId,
      at: at.toISOString(),
    });
    if (done) moved.push(move);
  }
  return moved;
}

/**
 * The watches on `bucket` that reach keys under `prefix` and protect new uploads otherwise than
 * `verify` was asked to check (another KMS key, or another mode): what verify proves today, new
 * uploads would not keep. One line each, naming how to align the watch.
 */
export function watchesDisagreeing(
  watches: WatchPolicy[],
  prefix: string,
  asked: { mode?: ProtectionMode; keyArn?: string },
): string[] {
  return watches
    .filter((w) => w.prefix.startsWith(prefix) || prefix.startsWith(w.prefix))
    .filter(
      (w) =>
        (asked.keyArn !== undefined && w.keyArn !== asked.keyArn) || (asked.mode && w.mode !== asked.mode),
    )
    .map((w) => {
      const under = w.keyArn ? ` under ${w.keyArn}` : '';
      const wanted = `${asked.mode ?? w.mode}${asked.keyArn ? ` under ${asked.keyArn}` : ''}`;
      return `the watch on ${watchScope(w)} protects new uploads with ${w.mode}${under}, not ${wanted}: new uploads will not pass this check (rewrap --from ${w.keyArn ?? '…'} --to the key moves the watch with the objects; setup --watch changes it alone)`;
    });
}

/** One line per moved watch, for the CLI and the run summary. */
export function describeWatchMove(move: WatchMove): string {
  return `watch ${watchScope(move)} (${move.mode}) moved from ${move.fromKeyArn} to ${move.toKeyArn}`;
}

/** One line per watch a re-wrap would move, for its preview (nothing has moved yet). */
export function describeWatchMoveAhead(move: WatchMove): string {
  return `watch ${watchScope(move)} (${move.mode}) would move from ${move.fromKeyArn} to ${move.toKeyArn} with the run`;
}
