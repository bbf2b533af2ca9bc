import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { canonicalJson } from './canonical-json.js';
import type { ChunkLogLine, ChunkRecord } from './chunk-log-types.js';

/**
 * The bytes of a chunk log (docs/architecture.md, "Audit trail in S3"): gzip of JSON Lines, one
 * line per record, `{"hash":…,"record":…}` in canonical JSON, each line ended by `\n`. Pure: no S3.
 */

/** Hex SHA-256 of the record's canonical JSON: the hash a log line carries and a tally shard counts. */
export function lineHash(record: ChunkRecord): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface EncodedChunkLog {
  /** The gzip bytes to store. */
  body: Buffer;
  lines: ChunkLogLine[];
  /** Hex SHA-256 of `body`: what the chunk item keeps as `logSha256`. */
  sha256: string;
}

/**
 * Offset of the gzip header's OS byte (RFC 1952, section 2.3). zlib fills it with the platform it
 * was built for (3 on Linux, 19 on macOS); the modification time Node writes is already 0.
 */
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNKNOWN = 0xff;

/**
 * Encodes records as a chunk log, deterministically: the same records give the same bytes on any
 * platform (same Node zlib), so a retried write of one attempt can be recognised by its hash.
 */
export function encodeChunkLog(records: ChunkRecord[]): EncodedChunkLog {
  const lines: ChunkLogLine[] = [];
  let text = '';
  for (const record of records) {
    // Each record serialised once, for its hash and its line: a line is canonicalJson({ hash,
    // record }), whose keys sort as written here.
    const json = canonicalJson(record);
    const hash = createHash('sha256').update(json).digest('hex');
    lines.push({ hash, record });
    text += `{"hash":${JSON.stringify(hash)},"record":${json}}\n`;
  }
  const body = gzipSync(Buffer.from(text, 'utf8'));
  // Not covered by the gzip CRC (which is over the data only), and no FHCRC flag is set.
  body[GZIP_OS_BYTE] = GZIP_OS_UNKNOWN;
  return { body, lines, sha256: sha256Hex(body) };
}

export interface DecodedChunkLog {
  lines: ChunkLogLine[];
  /**
   * Lines that could not be read, named by position (`line 3 (position 2): …`), or one entry for
   * bytes that are not gzip. Reading never judges: whether a hash matches is the verifier's call.
   */
  problems: string[];
}

const HEX_64 = /^[0-9a-f]{64}$/;

/** Parses every line of a stored chunk log, naming the ones it cannot read instead of throwing. */
export function decodeChunkLog(body: Uint8Array): DecodedChunkLog {
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch (error) {
    return { lines: [], problems: [`not a gzip stream: ${(error as Error).message}`] };
  }
  const raw = text.split('\n');
  // The last line ends with `\n`: the empty string after it is not a line.
  if (raw.at(-1) === '') raw.pop();
  const lines: ChunkLogLine[] = [];
  const problems: string[] = [];
  raw.forEach((source, index) => {
    const problem = lineProblem(source);
    const where = `line ${index + 1} (position ${index})`;
    if (typeof problem === 'string') problems.push(`${where}: ${problem}`);
    else lines.push(problem);
  });
  return { lines, problems };
}

function lineProblem(source: string): ChunkLogLine | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return `not JSON: ${JSON.stringify(source.slice(0, 80))}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
  const { hash, record } = parsed as { hash?: unknown; record?: unknown };
  if (typeof hash !== 'string' || !HEX_64.test(hash)) return 'no "hash" of 64 hex digits';
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'no "record" object';
  const { chunkId, position } = record as { chunkId?: unknown; position?: unknown };
  if (typeof chunkId !== 'string' || !Number.isInteger(position)) {
    return 'the record has no "chunkId" and integer "position"';
  }
  return { hash, record: record as ChunkRecord };
}
