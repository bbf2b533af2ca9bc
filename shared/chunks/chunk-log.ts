import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isPreconditionFailed } from '../aws-errors.js';
import { RetryableError } from '../errors.js';
import { listObjectPages } from '../s3/list-objects.js';
import { type ChunkLogCache, processChunkLogCache } from './chunk-log-cache.js';
import { decodeChunkLog, encodeChunkLog, sha256Hex } from './chunk-log-codec.js';
import type {
  AuditLocation,
  ChunkLogLine,
  ChunkRecord,
  ListedChunkLog,
  ReadChunkLog,
  StoredChunkLog,
} from './chunk-log-types.js';

export { encodeChunkLog, lineHash } from './chunk-log-codec.js';

/**
 * Chunk logs in S3 (docs/architecture.md, "Audit trail in S3"): one object per attempt of a chunk,
 * `<prefix>runs/<runId>/chunks/<chunkId>/<attempt>.jsonl.gz`, written once with `If-None-Match: *`
 * and never rewritten. The chunk item's commit names the attempt whose log counts.
 */

/** Attempts are written with at least this many digits, so a listing returns them in attempt order. */
const ATTEMPT_DIGITS = 4;
const LOG_SUFFIX = '.jsonl.gz';
const CHUNK_ID = /^[0-9a-f]{24}$/;
const LOG_NAME = /^([0-9a-f]{24})\/(\d{4,})\.jsonl\.gz$/;

export interface ChunkLogRef {
  runId: string;
  chunkId: string;
  /** The claim's attempt number (1 for the first claim): unique per claim, so one writer per key. */
  attempt: number;
}

/** Where a run's chunk logs live: every key under it is `<chunkId>/<attempt>.jsonl.gz`. */
export function chunkLogsPrefix(location: AuditLocation, runId: string): string {
  if (runId === '' || runId.includes('/')) throw new TypeError(`not a run id: ${JSON.stringify(runId)}`);
  return `${location.prefix}runs/${runId}/chunks/`;
}

/** The log key of one attempt of a chunk; the attempt is zero-padded to 4 digits (attempt order). */
export function chunkLogKey(
  location: AuditLocation,
  runId: string,
  chunkId: string,
  attempt: number,
): string {
  if (!CHUNK_ID.test(chunkId)) throw new TypeError(`not a chunk id: ${JSON.stringify(chunkId)}`);
  if (!Number.isInteger(attempt) || attempt < 1) throw new TypeError(`not an attempt number: ${attempt}`);
  const padded = String(attempt).padStart(ATTEMPT_DIGITS, '0');
  return `${chunkLogsPrefix(location, runId)}${chunkId}/${padded}${LOG_SUFFIX}`;
}

/**
 * The same attempt of a chunk already stored a different log. Attempt numbers are unique per
 * claim, so two writers of one attempt mean a claim was not exclusive: this attempt must not
 * commit. Retryable: a redelivery claims the chunk again under a new attempt, and a new key.
 */
export class ChunkLogConflictError extends RetryableError {
  constructor(
    readonly key: string,
    readonly storedSha256: string,
    readonly ownSha256: string,
  ) {
    super(`chunk log ${key} already holds other records (stored sha256 ${storedSha256}, ours ${ownSha256})`);
  }
}

/**
 * Writes an attempt's log, once. S3 answers 412 to `If-None-Match: *` when the key exists, which
 * for a unique attempt means this same write landed before (the SDK retried a request whose
 * answer was lost, or the attempt retried its own write): the stored object is read back, and
 * the stored log is returned when it holds the same lines. Anything else is a
 * {@link ChunkLogConflictError}. LocalStack 4.10 answers 412 here as S3 does (measured).
 */
export async function writeChunkLog(
  s3: S3Client,
  location: AuditLocation,
  ref: ChunkLogRef,
  records: ChunkRecord[],
): Promise<StoredChunkLog> {
  const key = chunkLogKey(location, ref.runId, ref.chunkId, ref.attempt);
  const encoded = encodeChunkLog(records);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: key,
        Body: encoded.body,
        IfNoneMatch: '*',
        ContentType: 'application/gzip',
        // S3 checks the body against it and keeps it: the object's own SHA-256 (a single-part
        // upload's full-object checksum) equals the chunk item's logSha256.
        ChecksumSHA256: Buffer.from(encoded.sha256, 'hex').toString('base64'),
      }),
    );
    // Stored as sent: the run's close may compact it without reading it back (chunk-log-cache.ts).
    processChunkLogCache().remember(key, encoded.sha256, encoded.body);
    return { key, sha256: encoded.sha256, lines: encoded.lines };
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
  }
  const stored = await readChunkLog(s3, location, key);
  // Byte equality is the rule; equal lines cover a log gzipped by another zlib build.
  if (
    stored.sha256 === encoded.sha256 ||
    (stored.problems.length === 0 && sameLines(stored.lines, encoded.lines))
  ) {
    return { key, sha256: stored.sha256, lines: stored.lines };
  }
  throw new ChunkLogConflictError(key, stored.sha256, encoded.sha256);
}

function sameLines(a: ChunkLogLine[], b: ChunkLogLine[]): boolean {
  return a.length === b.length && a.every((line, i) => line.hash === b[i]!.hash);
}

/**
 * Reads one log and parses every line; it does not judge (whether each line hashes as recorded,
 * and whether the log is the committed one, is the verifier's call). `sha256` is over the stored
 * bytes; lines that cannot be read are left out of `lines` and named in `problems` by position.
 * One object at a time, whole: a log holds at most a chunk's 100 records.
 */
export async function readChunkLog(
  s3: S3Client,
  location: AuditLocation,
  key: string,
): Promise<ReadChunkLog> {
  const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
  const body = await out.Body!.transformToByteArray();
  const { lines, problems } = decodeChunkLog(body);
  return { key, sha256: sha256Hex(body), lines, problems };
}

/**
 * A committed log as the run's close reads it (manifests): from this process's own writes when it
 * wrote these very bytes (chunk-log-cache.ts), else from S3.
 */
export async function readCommittedLog(
  s3: S3Client,
  location: AuditLocation,
  key: string,
  sha256: string | undefined,
  cache: ChunkLogCache = processChunkLogCache(),
): Promise<ReadChunkLog> {
  const kept = sha256 === undefined ? undefined : cache.recall(key, sha256);
  return kept ?? readChunkLog(s3, location, key);
}

/**
 * Every object under a run's chunk logs, page by page (ListObjectsV2, 1,000 keys a page): keys
 * sort by chunk, then attempt. An object whose name is not a chunk log's is listed with a
 * `problem`, so that a verifier names it rather than missing it.
 */
export async function* listChunkLogs(
  s3: S3Client,
  location: AuditLocation,
  runId: string,
): AsyncIterable<ListedChunkLog> {
  const prefix = chunkLogsPrefix(location, runId);
  for await (const page of listObjectPages(s3, { bucket: location.bucket, prefix })) {
    for (const { key, lastModified } of page.objects) {
      const match = LOG_NAME.exec(key.slice(prefix.length));
      const attempt = match ? Number(match[2]) : 0;
      const dated = lastModified ? { lastModified } : {};
      if (match && attempt >= 1) yield { key, chunkId: match[1]!, attempt, ...dated };
      else
        yield {
          key,
          chunkId: '',
          attempt: 0,
          problem: 'not a chunk log name (<chunkId>/<attempt>.jsonl.gz)',
          ...dated,
        };
    }
  }
}
