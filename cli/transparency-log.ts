import { readFile } from 'node:fs/promises';
import { type AuditFinding, findingLine } from '../shared/audit/audit-finding.js';
import type { ExpiredEventLogs } from '../shared/audit/expired-event-logs.js';
import type { LogHashes } from '../shared/audit/remembered-log-hashes.js';
import type { TrailDeps } from '../shared/audit/verify-trail.js';
import { ConfigError } from '../shared/errors.js';
import { openSavedCheckpoint } from '../shared/transparency/log-growth.js';
import { DeploymentLogReader, type LogKey } from '../shared/transparency/log-reader.js';
import {
  type TransparencyLogVerification,
  verifyTransparencyLog,
} from '../shared/transparency/verify-transparency-log.js';
import { cliRuntime } from './runtime.js';

/** The deployment's transparency log (S3SEAL_TLOG_*), its key from KMS unless `verifierKey` is given. */
export function deploymentLog(verifierKey?: string): DeploymentLogReader {
  const { config, clients } = cliRuntime();
  return new DeploymentLogReader(clients, config.transparencyLog, verifierKey);
}

/** What `audit verify --all` reads before the trail, so that a missing key or bad file fails first. */
export interface PreparedLogCheck {
  log: DeploymentLogReader;
  checkpoint: string | undefined;
  key?: LogKey;
  saved?: { file: string; size: number; rootHash: Uint8Array };
}

/**
 * Reads the checkpoint and, when there is one or a saved checkpoint is given, the log's key, and
 * opens the saved checkpoint (`--since`): every one-line error (no key, bad file) comes before any
 * verification starts.
 */
export async function prepareLogCheck(options: {
  since?: string;
  verifierKey?: string;
}): Promise<PreparedLogCheck> {
  const log = deploymentLog(options.verifierKey);
  const checkpoint = (await log.readCheckpoint())?.text;
  const prepared: PreparedLogCheck = { log, checkpoint };
  if (checkpoint === undefined && options.since === undefined) return prepared;
  prepared.key = await log.logKey();
  if (options.since !== undefined) {
    const file = options.since;
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(
        `--since ${file}: ${error.code === 'ENOENT' ? 'no such file' : `cannot read it (${error.code ?? error.message})`}`,
      );
    });
    prepared.saved = { file, ...openSavedCheckpoint(file, text, prepared.key.verifier, log.origin) };
  }
  return prepared;
}

const problems = (n: number) => (n === 0 ? 'no problems' : `${n} problem(s)`);

/**
 * Runs the log's check after the trail's and prints it as `audit verify --all` prints the trail:
 * problems on stdout, one line each; the summary on stderr. Returns the problems found.
 */
export async function runLogCheck(
  trail: TrailDeps,
  prepared: PreparedLogCheck,
  fromTrailPass: { expired?: ExpiredEventLogs; knownHashes?: LogHashes } = {},
): Promise<AuditFinding[]> {
  const { expired, knownHashes } = fromTrailPass;
  const { log, key, saved } = prepared;
  const result = await verifyTransparencyLog(
    {
      source: trail.source,
      runs: trail.runs,
      store: log.store,
      origin: log.origin,
      bucket: log.config.bucket,
      checkpoint: prepared.checkpoint,
      ...(key ? { verifier: key.verifier } : {}),
      ...(expired ? { expired } : {}),
      ...(knownHashes ? { knownHashes } : {}),
    },
    saved ? { saved } : {},
  );
  for (const finding of result.findings) console.log(findingLine(finding));
  console.error(summaryLine(prepared, result));
  if (saved && result.grewFrom !== undefined && result.tree)
    console.error(
      `transparency log: it grew from ${result.grewFrom} to ${result.tree.size} leaves since ${saved.file} (consistency proof checked)`,
    );
  return result.findings;
}

function summaryLine(prepared: PreparedLogCheck, result: TransparencyLogVerification): string {
  const { log } = prepared;
  const { committed, inLog, waiting } = result.chunks;
  const waitingText =
    waiting > 0 ? `, ${waiting} committed in the last 5 minutes wait for the sequencer` : '';
  const head = `transparency log ${log.origin}`;
  if (prepared.checkpoint === undefined)
    return `${head}: no checkpoint yet at ${log.where}; ${committed} committed chunk(s)${waitingText}; ${problems(result.findings.length)}`;
  if (!result.tree) return `${head}: the checkpoint does not verify; ${problems(result.findings.length)}`;
  const leaves = result.leaves!;
  const keyName = prepared.key!.verifierKey.split('+').slice(0, 2).join('+');
  return (
    `${head}: ${result.tree.size} leaves, checkpoint verified (key ${keyName}); ` +
    (leaves.complete
      ? `its tiles and ${leaves.bundles} entry bundle(s) hash to its root; `
      : 'its tiles do not hash to its root; ') +
    `${leaves.logsMatching} chunk log(s) hash as their leaves record; ` +
    `${inLog} of ${committed} committed chunk(s) are leaves${waitingText}; ` +
    (leaves.expiredProven > 0 ? `expired event chunks proven by their leaf: ${leaves.expiredProven}; ` : '') +
    problems(result.findings.length)
  );
}
