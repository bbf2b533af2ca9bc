import { decodeBase64, encodeBase64 } from './base64.js';
import { TlogFormatError } from './errors.js';
import { HASH_SIZE } from './merkle-hash.js';

/**
 * The note text of a C2SP tlog-checkpoint: origin line, decimal tree size (no leading zeroes),
 * base64 root hash, then optional non-empty extension lines; every line ends in a newline.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: string[];
}

function checkLine(line: string, what: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: signed notes forbid control characters
  if (line === '' || /[\u0000-\u001f]/.test(line)) throw new TlogFormatError(`bad checkpoint ${what}`);
}

/** The checkpoint's note text, ready to sign. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  checkLine(checkpoint.origin, 'origin');
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0) {
    throw new TlogFormatError(`bad checkpoint tree size ${checkpoint.size}`);
  }
  if (checkpoint.rootHash.length !== HASH_SIZE) throw new TlogFormatError('a root hash is 32 bytes');
  const extensions = checkpoint.extensions ?? [];
  for (const line of extensions) checkLine(line, 'extension line');
  const lines = [checkpoint.origin, String(checkpoint.size), encodeBase64(checkpoint.rootHash)];
  return `${[...lines, ...extensions].join('\n')}\n`;
}

/** Parses a checkpoint's note text (the signed part of the note, without signatures). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new TlogFormatError('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new TlogFormatError('a checkpoint has at least three lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  checkLine(origin, 'origin');
  for (const line of extensions) checkLine(line, 'extension line');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
    throw new TlogFormatError(`bad checkpoint tree size "${sizeLine}"`);
  }
  const rootHash = decodeBase64(rootLine, 'checkpoint root hash');
  if (rootHash.length !== HASH_SIZE) throw new TlogFormatError('a checkpoint root hash is 32 bytes');
  return { origin, size: Number(sizeLine), rootHash, extensions };
}
