import { canonicalJson } from '../chunks/canonical-json.js';
import { TlogFormatError } from '../tlog/errors.js';

/**
 * One leaf of the transparency log (docs/architecture.md, "Transparency log"): a committed chunk
 * log, named by where it is and the SHA-256 of its stored bytes, as the chunk's commit recorded it.
 * The entry is the canonical JSON of these three fields, so the same log always gives the same
 * bytes and an outsider can recompute the leaf hash from the object alone.
 */
export interface LeafEntry {
  bucket: string;
  key: string;
  /** Lower-case hex SHA-256 of the chunk log's stored (gzip) bytes. */
  sha256: string;
}

/** Entry bundles prefix each entry with a uint16 length (tlog-tiles): an entry fits in 65,535 bytes. */
const MAX_ENTRY_BYTES = 65_535;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function encodeLeafEntry(leaf: LeafEntry): Uint8Array {
  if (!SHA256_HEX.test(leaf.sha256))
    throw new TlogFormatError(`leaf sha256 ${leaf.sha256} is not hex SHA-256`);
  const bytes = Buffer.from(canonicalJson({ bucket: leaf.bucket, key: leaf.key, sha256: leaf.sha256 }));
  if (bytes.length > MAX_ENTRY_BYTES)
    throw new TlogFormatError(`a leaf entry of ${bytes.length} bytes is too long`);
  return new Uint8Array(bytes);
}

/** Reads an entry back; anything but exactly the canonical form of a leaf is refused. */
export function decodeLeafEntry(entry: Uint8Array): LeafEntry {
  const text = Buffer.from(entry).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TlogFormatError(`leaf entry is not JSON: ${text.slice(0, 80)}`);
  }
  const leaf = value as Partial<LeafEntry>;
  if (
    typeof leaf?.bucket !== 'string' ||
    typeof leaf.key !== 'string' ||
    typeof leaf.sha256 !== 'string' ||
    Buffer.from(encodeLeafEntry(leaf as LeafEntry)).toString('utf8') !== text
  ) {
    throw new TlogFormatError(`leaf entry is not a canonical chunk log leaf: ${text.slice(0, 80)}`);
  }
  return { bucket: leaf.bucket, key: leaf.key, sha256: leaf.sha256 };
}
