import { canonicalJson } from '../chunks/canonical-json.js';
import { lineHash } from '../chunks/chunk-log.js';
import { ConfigError, PermanentError } from '../errors.js';
import { displayS3Uri } from '../s3-uri.js';
import { TlogError } from '../tlog/errors.js';
import { hashLeaf } from '../tlog/merkle-hash.js';
import { inclusionProof } from '../tlog/merkle-proof.js';
import { openCheckpoint } from '../tlog/signed-checkpoint.js';
import { TileNodeReader } from '../tlog/tile-node-reader.js';
import type { TileStore } from '../tlog/tile-store.js';
import { formatTlogProof, verifyTlogProof } from '../tlog/tlog-proof.js';
import type { NoteVerifier } from '../tlog/verifier-key.js';
import { type Decision, type DecisionDeps, latestDecision, type ObjectRef } from './latest-decision.js';
import { encodeLeafEntry } from './leaf-entry.js';
import { findLeaf, type LeafSearchProgress } from './leaf-search.js';

/**
 * What a tlog-proof's `extra` line carries (docs/audit.md, "Transparency log"): where the chunk log
 * is and its SHA-256 (the leaf entry is the canonical JSON of these three), and where the object's
 * record sits in it. Unauthenticated by the proof itself: the leaf binds the log's bytes, and the
 * log's line at `position` carries `recordHash`.
 */
export interface ProofExtra {
  bucket: string;
  key: string;
  sha256: string;
  position: number;
  recordHash: string;
}

/** The object has no proof to give: never decided, not sequenced yet, or its log changed. */
export class NoProofError extends PermanentError {}

export interface ObjectProofDeps extends DecisionDeps {
  store: TileStore;
  origin: string;
  /** The audit bucket, which every leaf names. */
  bucket: string;
  /** The current signed checkpoint note. */
  checkpoint: string;
  verifier: NoteVerifier;
  /** An expired event chunk's leaf is searched for: how far the search has gone. */
  onSearch?: (progress: LeafSearchProgress) => void;
}

export interface ObjectProof {
  /** The c2sp.org/tlog-proof@v1 text. */
  text: string;
  index: number;
  size: number;
  decision: Decision;
  extra: ProofExtra;
}

/**
 * A C2SP tlog-proof of the object's latest decision: its chunk log's inclusion in the current
 * checkpoint, with the record's place in that log as `extra`. The proof is checked here the way a
 * third party checks it (signature, origin, inclusion) before it is handed out.
 */
export async function objectProof(deps: ObjectProofDeps, object: ObjectRef): Promise<ObjectProof> {
  const name = `${displayS3Uri(object)}${object.versionId ? ` version ${object.versionId}` : ''}`;
  const decision = await latestDecision(deps, object);
  if (!decision)
    throw new NoProofError(
      `${name}: s3-seal recorded no decision about it (check the bucket, key and version)`,
    );
  const { item, log, line } = decision;
  const what = `its latest decision (${line.record.decision} at ${line.record.at}, run ${item.runId} chunk ${item.chunkId})`;
  if (log.sha256 !== item.logSha256 || line.hash !== lineHash(line.record))
    throw new NoProofError(
      `${name}: ${what} is in a chunk log that changed since it committed: run \`s3-seal audit verify --all\``,
    );
  let tree: ReturnType<typeof openCheckpoint>;
  try {
    tree = openCheckpoint(deps.checkpoint, [deps.verifier], deps.origin);
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    throw new ConfigError(`transparency log: the checkpoint does not verify: ${error.message}`, {
      cause: error,
    });
  }
  const extra: ProofExtra = {
    bucket: deps.bucket,
    key: log.key,
    sha256: log.sha256,
    position: line.record.position,
    recordHash: line.hash,
  };
  const entry = encodeLeafEntry(extra);
  // An expired chunk's item took its leaf index with it: the leaf of these very bytes is looked for.
  // Its leaf was appended after its log was written (the item's time here is the log's LastModified).
  const index = decision.expired
    ? await findLeaf(deps.store, tree.size, entry, {
        ...(item.updatedAt ? { notBefore: new Date(item.updatedAt) } : {}),
        ...(deps.onSearch ? { onProgress: deps.onSearch } : {}),
      })
    : item.leafIndex;
  if (decision.expired && index === undefined)
    throw new NoProofError(
      `${name}: ${what} is in a chunk log whose chunk item expired and that no leaf of the transparency log names with these bytes: run \`s3-seal audit verify --all\``,
    );
  if (index === undefined || index >= tree.size)
    throw new NoProofError(
      `${name}: ${what} is not in the transparency log yet (${index === undefined ? 'not sequenced' : `leaf ${index}, the checkpoint holds ${tree.size}`}): the sequencer adds committed chunks within seconds, try again`,
    );
  try {
    const proof = await inclusionProof(new TileNodeReader(deps.store, tree.size), index, tree.size);
    const text = formatTlogProof({
      index,
      proof,
      checkpoint: deps.checkpoint,
      extra: new TextEncoder().encode(canonicalJson(extra)),
    });
    verifyTlogProof(text, hashLeaf(entry), [deps.verifier], deps.origin);
    return { text, index, size: tree.size, decision, extra };
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    throw new NoProofError(
      `${name}: leaf ${index} does not prove from the log's tiles (${error.message}): run \`s3-seal audit verify --all\``,
      { cause: error },
    );
  }
}
