import { decodeBase64, encodeBase64 } from './base64.js';
import { TlogFormatError, TlogVerificationError } from './errors.js';
import type { NoteSigner } from './note-signer.js';
import type { NoteVerifier } from './verifier-key.js';

/**
 * Signed notes (C2SP signed-note.md): the text, ending in a newline, a blank line, then one line
 * per signature: `— <key name> <base64(4-byte big-endian key ID || signature)>`.
 */
export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature without its key ID prefix. */
  signature: Uint8Array;
}

const EM_DASH = '\u2014';
/** The spec asks verifiers to accept at least 16 signatures and to bound how many they read. */
export const MAX_NOTE_SIGNATURES = 100;

function checkNoteCharacters(note: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the spec forbids controls but newline
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) {
    throw new TlogFormatError('a signed note contains a control character');
  }
}

/** Signs `text` (which must end in a newline) with each signer and returns the whole note. */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  checkNoteCharacters(text);
  if (!text.endsWith('\n')) throw new TlogFormatError('note text must end with a newline');
  if (signers.length === 0) throw new TlogFormatError('a note needs at least one signature');
  const message = new TextEncoder().encode(text);
  const lines: string[] = [];
  for (const signer of signers) {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(signer.keyId);
    const signature = await signer.sign(message);
    lines.push(`${EM_DASH} ${signer.name} ${encodeBase64(Buffer.concat([id, signature]))}\n`);
  }
  return `${text}\n${lines.join('')}`;
}

/** Splits a note into its text and signature lines, without verifying anything. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  checkNoteCharacters(note);
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new TlogFormatError('a signed note has no signature block');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new TlogFormatError('a signed note has too many signatures');
  const signatures = lines.map((line) => {
    const match = /^\u2014 ([^\s+]+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!match) throw new TlogFormatError(`bad signature line "${line}"`);
    const bytes = decodeBase64(match[2]!, 'note signature');
    if (bytes.length < 5) throw new TlogFormatError('a note signature is shorter than 5 bytes');
    const keyId = Buffer.from(bytes).readUInt32BE(0);
    return { name: match[1]!, keyId, signature: bytes.subarray(4) };
  });
  return { text, signatures };
}

/**
 * Opens a signed note: signatures from unknown keys (name and key ID not both matching a
 * verifier) are ignored; any signature of a known key that fails rejects the note; at least one
 * must verify. Returns the text and the names of the keys that signed it.
 */
export function openNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { text: string; signedBy: string[] } {
  const { text, signatures } = parseNote(note);
  const message = new TextEncoder().encode(text);
  const signedBy: string[] = [];
  for (const { name, keyId, signature } of signatures) {
    const verifier = verifiers.find((v) => v.name === name && v.keyId === keyId);
    if (!verifier) continue;
    if (!verifier.verify(message, signature)) {
      throw new TlogVerificationError(`the signature of ${name} on the note does not verify`);
    }
    signedBy.push(name);
  }
  if (signedBy.length === 0) {
    throw new TlogVerificationError('the note carries no signature from a trusted key');
  }
  return { text, signedBy };
}
