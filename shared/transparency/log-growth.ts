import type { AuditFinding } from '../audit/audit-finding.js';
import { ConfigError } from '../errors.js';
import type { Checkpoint } from '../tlog/checkpoint.js';
import { TlogError } from '../tlog/errors.js';
import { equalHashes } from '../tlog/merkle-hash.js';
import { consistencyProof } from '../tlog/merkle-proof.js';
import { verifyConsistency } from '../tlog/merkle-verify.js';
import { openCheckpoint } from '../tlog/signed-checkpoint.js';
import { TileNodeReader } from '../tlog/tile-node-reader.js';
import type { TileStore } from '../tlog/tile-store.js';
import type { NoteVerifier } from '../tlog/verifier-key.js';

type Tree = Pick<Checkpoint, 'size' | 'rootHash'>;

/**
 * Opens a checkpoint a user saved earlier (`audit checkpoint > FILE`, or its `--json` output): it
 * must be a checkpoint of this log signed by its key, else nothing can be concluded from it.
 */
export function openSavedCheckpoint(
  file: string,
  text: string,
  verifier: NoteVerifier,
  origin: string,
): Checkpoint & { note: string } {
  let note = text;
  if (text.trimStart().startsWith('{')) {
    try {
      note = String((JSON.parse(text) as { checkpoint?: unknown }).checkpoint ?? '');
    } catch {
      throw new ConfigError(
        `--since ${file}: neither a checkpoint nor the JSON of \`audit checkpoint --json\``,
      );
    }
  }
  try {
    return openCheckpoint(note, [verifier], origin);
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    throw new ConfigError(
      `--since ${file}: not a checkpoint of this log signed by its key: ${error.message}`,
      {
        cause: error,
      },
    );
  }
}

const b64 = (hash: Uint8Array) => Buffer.from(hash).toString('base64');

/**
 * Whether the log only grew since a checkpoint the user kept (tlog-tiles clients do the same before
 * trusting a new checkpoint): a saved tree larger than today's means the log was truncated; the same
 * size with another root, or a consistency proof (RFC 9162 2.1.4, computed from today's tiles) that
 * does not lead from the saved root to today's, means its history was rewritten.
 */
export async function checkGrowth(
  store: TileStore,
  current: Tree,
  saved: Tree,
): Promise<AuditFinding | undefined> {
  const at = (problem: string): AuditFinding => ({
    subject: 'transparency log',
    record: 'checkpoint',
    problem,
  });
  if (saved.size > current.size)
    return at(`truncated: the saved checkpoint holds ${saved.size} leaves, the log now ${current.size}`);
  if (saved.size === current.size) {
    if (equalHashes(saved.rootHash, current.rootHash)) return undefined;
    return at(
      `rewritten: the saved checkpoint of ${saved.size} leaves has root ${b64(saved.rootHash)}, the log now ${b64(current.rootHash)}`,
    );
  }
  try {
    const proof = await consistencyProof(new TileNodeReader(store, current.size), saved.size, current.size);
    verifyConsistency(saved.size, current.size, saved.rootHash, current.rootHash, proof);
    return undefined;
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    return at(
      `rewritten: the log of ${current.size} leaves does not extend the saved checkpoint of ${saved.size} (${error.message})`,
    );
  }
}
