import { type Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { TlogVerificationError } from './errors.js';
import type { NoteSigner } from './note-signer.js';
import { openNote, signNote } from './signed-note.js';
import type { NoteVerifier } from './verifier-key.js';

/** Signs a checkpoint as a note (tlog-checkpoint: the log's key name should match the origin). */
export function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): Promise<string> {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Opens a signed checkpoint: the note must carry a valid signature of one of `verifiers` and its
 * origin line must be `origin`, the log the caller expects (a checkpoint of another log proves
 * nothing about this one).
 */
export function openCheckpoint(
  note: string,
  verifiers: readonly NoteVerifier[],
  origin: string,
): Checkpoint & { note: string } {
  const { text } = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== origin) {
    throw new TlogVerificationError(`the checkpoint is of log "${checkpoint.origin}", not "${origin}"`);
  }
  return { ...checkpoint, note };
}
