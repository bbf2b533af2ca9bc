import { PermanentError } from '../errors.js';

/**
 * Errors of the transparency log (docs/design/transparency-log.md). All are permanent: bad bytes,
 * a bad proof or a bad signature cannot become good by retrying.
 */
export class TlogError extends PermanentError {}

/** Text or bytes that do not follow the C2SP format they claim (checkpoint, note, tile, proof). */
export class TlogFormatError extends TlogError {}

/** A proof, a tile or a signature that does not check: the log or the evidence was altered. */
export class TlogVerificationError extends TlogError {}

/** A tile or entry bundle the tree's size says must exist is missing from the store. */
export class TileMissingError extends TlogError {
  constructor(readonly path: string) {
    super(`tile ${path} is missing from the log's storage`);
  }
}

/** A signing key of a type or curve the signed-note 0x02 format does not allow. */
export class NoteKeyError extends TlogError {}
