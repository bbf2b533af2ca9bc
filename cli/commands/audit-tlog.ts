import { rename, writeFile } from 'node:fs/promises';
import { deploymentChunkSource } from '../../shared/audit/deployment-chunk-source.js';
import { ConfigError } from '../../shared/errors.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { parseS3ObjectUri } from '../../shared/s3-uri.js';
import { TlogError } from '../../shared/tlog/errors.js';
import { openCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { processCommitFeed } from '../../shared/transparency/deployment-log.js';
import type { DeploymentLogReader } from '../../shared/transparency/log-reader.js';
import { objectProof } from '../../shared/transparency/object-proof.js';
import { sequenceCommitted } from '../../shared/transparency/sequence-committed.js';
import { assertSigningKeyUsable } from '../../shared/transparency/signing-key.js';
import { auditTrail } from '../audit-trail.js';
import { assertWritableTarget } from '../output-file.js';
import { cliRuntime } from '../runtime.js';
import { deploymentLog } from '../transparency-log.js';

/** The current checkpoint, checked against the log's key; a one-line error when it does not verify. */
async function verifiedCheckpoint(log: DeploymentLogReader) {
  const stored = await log.requireCheckpoint();
  const key = await log.logKey();
  try {
    return { stored, key, tree: openCheckpoint(stored.text, [key.verifier], log.origin) };
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    throw new ConfigError(
      `transparency log: the checkpoint at ${log.where}checkpoint does not verify with key ${key.verifierKey.split('+').slice(0, 2).join('+')}: ${error.message}`,
      { cause: error },
    );
  }
}

/** `audit checkpoint [--json]`: the signed checkpoint on stdout (as stored), or the log's JSON. */
export async function checkpointCommand(options: { json?: boolean; verifierKey?: string }): Promise<number> {
  const log = deploymentLog(options.verifierKey);
  const { stored, key, tree } = await verifiedCheckpoint(log);
  const { bucket, prefix } = log.config;
  if (options.json) {
    const out = { origin: log.origin, bucket, prefix, verifierKey: key.verifierKey, checkpoint: stored.text };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    process.stdout.write(stored.text);
    console.error(
      `transparency log ${log.origin}: ${tree.size} leaves, checkpoint verified; tiles at ${log.where}; verifier key ${key.verifierKey}`,
    );
  }
  return 0;
}

interface ProofOptions {
  version?: string;
  output?: string;
  verifierKey?: string;
}

/** `audit proof s3://BUCKET/KEY [--version V] [-o FILE]`: the tlog-proof of the object's latest decision. */
export async function proofCommand(uri: string, options: ProofOptions): Promise<number> {
  let object: ReturnType<typeof parseS3ObjectUri>;
  try {
    object = parseS3ObjectUri(uri);
  } catch (error) {
    // Its hint names --version-id, as other commands call it; this command's option is --version.
    if (error instanceof ConfigError)
      throw new ConfigError(error.message.replace('--version-id', '--version'));
    throw error;
  }
  if (options.output) await assertWritableTarget(options.output);
  const log = deploymentLog(options.verifierKey);
  const { stored, key } = await verifiedCheckpoint(log);
  const trail = auditTrail();
  let shownAt = Date.now();
  const proof = await objectProof(
    {
      source: trail.source,
      runs: trail.runs,
      ...(trail.expiry ? { expiry: trail.expiry } : {}),
      // An expired event chunk's leaf is looked for in the tiles: say so when it takes a while.
      onSearch: ({ tiles, leaves, size }) => {
        if (Date.now() - shownAt < 2000) return;
        shownAt = Date.now();
        console.error(
          `audit proof: looking for the leaf of an expired event chunk: ${leaves} of ${size} leaves (${tiles} tile(s)) read`,
        );
      },
      store: log.store,
      origin: log.origin,
      bucket: log.config.bucket,
      checkpoint: stored.text,
      verifier: key.verifier,
    },
    { ...object, ...(options.version === undefined ? {} : { versionId: options.version }) },
  );
  if (options.output) {
    // The file appears under its name only once complete.
    const partial = `${options.output}.partial`;
    await writeFile(partial, proof.text);
    await rename(partial, options.output);
  } else {
    process.stdout.write(proof.text);
  }
  const { record } = proof.decision.line;
  const { item } = proof.decision;
  console.error(
    `${uri}: ${record.decision} at ${record.at} (run ${item.runId} chunk ${item.chunkId} position ${record.position}) ` +
      `is leaf ${proof.index} of ${proof.size} in transparency log ${log.origin}` +
      (proof.decision.expired ? ' (its chunk item expired; the leaf is its commit record)' : '') +
      '; the proof checks with its key' +
      (options.output ? `; written to ${options.output}` : ''),
  );
  return 0;
}

/**
 * `audit sequence [--run ID]`: appends every committed chunk without a leaf (a trail written before
 * the transparency log, or a leaf a failed close left unsent); chunks already in the log are left.
 */
export async function sequenceCommand(options: { run?: string }): Promise<number> {
  const { config, clients } = cliRuntime();
  const runs = new RunStore(clients.dynamo, config.ledgerTable);
  if (options.run && !(await runs.get(options.run))) throw new ConfigError(`run ${options.run} not found`);
  await assertSigningKeyUsable(clients.kms, config.transparencyLog.keyId);
  const feed = processCommitFeed(clients, config);
  const where = config.transparencyLog.queueUrl ? 'sent to the sequencer' : 'appended';
  const result = await sequenceCommitted(
    {
      chunkItems: (runId) => deploymentChunkSource(clients, config).listRun(runId),
      feed,
      auditBucket: config.auditLocation.bucket,
    },
    options.run ? [options.run] : runs.allRunIds(),
    (runId, added) => {
      if (added > 0) console.error(`run ${runId}: ${added} committed chunk(s) without a leaf ${where}`);
    },
  );
  console.error(
    `transparency log ${config.transparencyLog.origin}: ${result.chunks} chunk(s) of ${result.runs} run(s) read; ` +
      `${result.added} committed chunk(s) without a leaf ${where}, the others already leaves`,
  );
  return 0;
}
