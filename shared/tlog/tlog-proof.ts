import { decodeBase64, encodeBase64 } from './base64.js';
import type { Checkpoint } from './checkpoint.js';
import { TlogFormatError } from './errors.js';
import { HASH_SIZE } from './merkle-hash.js';
import { verifyInclusion } from './merkle-verify.js';
import { openCheckpoint } from './signed-checkpoint.js';
import type { NoteVerifier } from './verifier-key.js';

/**
 * C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): an offline-verifiable proof that an entry is in the
 * log: optional `extra` data, the entry's index, its inclusion proof (one base64 hash a line, leaf
 * side first), an empty line, then the signed checkpoint verbatim.
 */
export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  index: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  checkpoint: string;
  /** Unauthenticated application data (here: where the record sits inside its chunk log). */
  extra?: Uint8Array;
}

/** Formats a proof; write it to a file named `*.tlog-proof`. */
export function formatTlogProof(proof: TlogProof): string {
  if (!Number.isSafeInteger(proof.index) || proof.index < 0)
    throw new TlogFormatError(`bad index ${proof.index}`);
  const lines = [TLOG_PROOF_HEADER];
  if (proof.extra) lines.push(`extra ${encodeBase64(proof.extra)}`);
  lines.push(`index ${proof.index}`, ...proof.proof.map(encodeBase64), '');
  return `${lines.join('\n')}\n${proof.checkpoint}`;
}

/** Parses a proof's text; the checkpoint is returned unverified. */
export function parseTlogProof(text: string): TlogProof {
  const lines = text.split('\n');
  if (lines[0] !== TLOG_PROOF_HEADER)
    throw new TlogFormatError(`a tlog proof starts with ${TLOG_PROOF_HEADER}`);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith('extra ')) extra = decodeBase64(lines[at++]!.slice(6), 'tlog proof extra data');
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines[at++] ?? '');
  if (!index || !Number.isSafeInteger(Number(index[1])))
    throw new TlogFormatError('a tlog proof needs an index line');
  const proof: Uint8Array[] = [];
  while (at < lines.length && lines[at] !== '') {
    const hash = decodeBase64(lines[at++]!, 'tlog proof hash');
    if (hash.length !== HASH_SIZE) throw new TlogFormatError('a tlog proof hash is 32 bytes');
    proof.push(hash);
  }
  if (at >= lines.length) throw new TlogFormatError('a tlog proof has no checkpoint');
  const checkpoint = lines.slice(at + 1).join('\n');
  return { index: Number(index[1]), proof, checkpoint, ...(extra ? { extra } : {}) };
}

/**
 * Verifies a proof for an entry whose leaf hash the caller computed from data it holds (step 1 of
 * tlog-proof's verification): the checkpoint is signed by a trusted key for `origin`, and the
 * inclusion proof binds the leaf hash to its root. Returns the proof and the checkpoint.
 */
export function verifyTlogProof(
  text: string,
  leafHash: Uint8Array,
  verifiers: readonly NoteVerifier[],
  origin: string,
): TlogProof & { tree: Checkpoint } {
  const parsed = parseTlogProof(text);
  const tree = openCheckpoint(parsed.checkpoint, verifiers, origin);
  verifyInclusion(leafHash, parsed.index, tree.size, parsed.proof, tree.rootHash);
  return { ...parsed, tree };
}
