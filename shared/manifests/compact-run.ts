import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound } from '../aws-errors.js';
import type { AuditLocation, StoredChunkLog } from '../chunks/chunk-log-types.js';
import type { ChunkItem } from '../chunks/chunk-store.js';
import { latestWrapOf, type ManifestEntry, manifestEntryOf } from './manifest-entry.js';
import { compactionMarkerKey, MANIFEST_METADATA, manifestKey } from './manifest-key.js';
import { MemberEncoder } from './manifest-members.js';
import { ManifestUpload, type ManifestWrite, putManifest } from './manifest-upload.js';

export interface CompactionDeps {
  s3: S3Client;
  location: AuditLocation;
  /**
   * The run's chunk items (shared/chunks/run-chunk-items.ts runChunkItems: its chunk logs' ids,
   * then one BatchGetItem per 100 chunks), the closer's one pass over the run's chunks.
   */
  chunkItems(runId: string): AsyncIterable<ChunkItem>;
  /**
   * A committed log by key and the SHA-256 its item committed to (shared/chunks/chunk-log.ts
   * readCommittedLog: this process's own write when it kept those bytes, else a GET).
   */
  readLog(key: string, sha256?: string): Promise<StoredChunkLog & { problems: string[] }>;
}

export interface CompactedManifest {
  keyArn: string;
  key: string;
  objects: number;
  write: ManifestWrite;
}

/** Compressed bytes one key may hold in memory before its manifest is streamed in a second pass. */
export const KEY_BUFFER_BYTES = 8 * 1024 * 1024;
/** Compressed bytes all keys may hold together; past it the largest key is streamed instead. */
export const TOTAL_BUFFER_BYTES = 32 * 1024 * 1024;

/** One key's manifest while the run's logs are read. */
class KeyManifest {
  objects = 0;
  oldest?: string;
  newest?: string;
  members: Buffer[] = [];
  bytes = 0;
  streamed = false;
  readonly encoder = new MemberEncoder();

  count(entry: ManifestEntry): void {
    this.objects++;
    const at = latestWrapOf(entry);
    if (at && (!this.oldest || at < this.oldest)) this.oldest = at;
    if (at && (!this.newest || at > this.newest)) this.newest = at;
  }

  metadata(keyArn: string): Record<string, string> {
    return {
      [MANIFEST_METADATA.objects]: String(this.objects),
      [MANIFEST_METADATA.keyArn]: keyArn,
      ...(this.oldest ? { [MANIFEST_METADATA.oldestWrap]: this.oldest } : {}),
      ...(this.newest ? { [MANIFEST_METADATA.newestWrap]: this.newest } : {}),
    };
  }
}

/**
 * Compacts a closed run's committed chunk logs into one manifest per key (docs/architecture.md,
 * "Manifests"): every object a committed record leaves under a key ARN, in
 * `<prefix>manifests/<keyId>/<runId>.jsonl.gz`, with the count and the oldest and newest wrap as
 * object metadata. Logs are read one at a time. A key's manifest is kept in memory while it stays
 * under KEY_BUFFER_BYTES compressed (about 50,000 objects) and then PUT whole; a larger one is
 * counted in the first pass and streamed in a second pass over its logs, in 8 MiB parts. Every
 * write is conditional on absence, and a marker written last ends the compaction, so a second
 * closer finds everything there and does nothing. `closedNow`: this caller's own close just
 * closed the run, so no compaction can have begun before it (one only starts once the run is
 * closed) and the marker is not looked for; a closer that comes later still looks.
 */
export async function compactRunManifests(
  deps: CompactionDeps,
  runId: string,
  options: { closedNow?: boolean } = {},
): Promise<CompactedManifest[]> {
  const marker = { bucket: deps.location.bucket, key: compactionMarkerKey(deps.location, runId) };
  if (!options.closedNow && (await exists(deps.s3, marker))) return [];
  const keys = new Map<string, KeyManifest>();
  let buffered = 0;
  for await (const { entries } of committedEntries(deps, runId, () => true)) {
    for (const { keyArn, entry } of entries) {
      const manifest = keys.get(keyArn) ?? new KeyManifest();
      keys.set(keyArn, manifest);
      manifest.count(entry);
      if (manifest.streamed) continue;
      const member = manifest.encoder.add(entry);
      if (!member) continue;
      manifest.members.push(member);
      manifest.bytes += member.length;
      buffered += member.length;
      if (manifest.bytes > KEY_BUFFER_BYTES || buffered > TOTAL_BUFFER_BYTES) buffered -= streamLargest(keys);
    }
  }
  const written: CompactedManifest[] = [];
  for (const [keyArn, manifest] of keys) {
    if (manifest.streamed) continue;
    const last = manifest.encoder.flush();
    const body = Buffer.concat(last ? [...manifest.members, last] : manifest.members);
    const target = { bucket: deps.location.bucket, key: manifestKey(deps.location, keyArn, runId) };
    const write = await putManifest(deps.s3, target, body, manifest.metadata(keyArn));
    written.push({ keyArn, key: target.key, objects: manifest.objects, write });
  }
  const streamed = [...keys].filter(([, manifest]) => manifest.streamed);
  if (streamed.length > 0) written.push(...(await streamManifests(deps, runId, new Map(streamed))));
  await putManifest(deps.s3, marker, Buffer.from(JSON.stringify({ runId, manifests: written })), {});
  return written;
}

/** Drops the largest buffered manifest to the second pass; returns the bytes freed. */
function streamLargest(keys: Map<string, KeyManifest>): number {
  let largest: KeyManifest | undefined;
  for (const manifest of keys.values()) {
    if (!manifest.streamed && (!largest || manifest.bytes > largest.bytes)) largest = manifest;
  }
  if (!largest) return 0;
  const freed = largest.bytes;
  largest.streamed = true;
  largest.members = [];
  largest.bytes = 0;
  return freed;
}

/** The second pass: the run's logs again, for the keys too large to hold, uploaded in parts. */
async function streamManifests(
  deps: CompactionDeps,
  runId: string,
  keys: Map<string, KeyManifest>,
): Promise<CompactedManifest[]> {
  const uploads = new Map<
    string,
    { upload: ManifestUpload; encoder: MemberEncoder; pending: Buffer[]; bytes: number }
  >();
  for (const [keyArn, manifest] of keys) {
    const target = { bucket: deps.location.bucket, key: manifestKey(deps.location, keyArn, runId) };
    const upload = await ManifestUpload.start(deps.s3, target, manifest.metadata(keyArn));
    uploads.set(keyArn, { upload, encoder: new MemberEncoder(), pending: [], bytes: 0 });
  }
  const flush = async (state: { upload: ManifestUpload; pending: Buffer[]; bytes: number }) => {
    await state.upload.part(Buffer.concat(state.pending));
    state.pending = [];
    state.bytes = 0;
  };
  const wanted = (item: ChunkItem) => (item.keyArns ?? []).some((keyArn) => keys.has(keyArn));
  for await (const { entries } of committedEntries(deps, runId, wanted)) {
    for (const { keyArn, entry } of entries) {
      const state = uploads.get(keyArn);
      const member = state?.encoder.add(entry);
      if (!state || !member) continue;
      state.pending.push(member);
      state.bytes += member.length;
      if (state.bytes >= KEY_BUFFER_BYTES) await flush(state);
    }
  }
  const written: CompactedManifest[] = [];
  for (const [keyArn, state] of uploads) {
    const last = state.encoder.flush();
    if (last) state.pending.push(last);
    if (state.pending.length > 0) await flush(state);
    const write = await state.upload.complete();
    const key = manifestKey(deps.location, keyArn, runId);
    written.push({ keyArn, key, objects: keys.get(keyArn)!.objects, write });
  }
  return written;
}

/** The manifest entries of each committed chunk's log, one log at a time. */
async function* committedEntries(
  deps: CompactionDeps,
  runId: string,
  wanted: (item: ChunkItem) => boolean,
): AsyncGenerator<{ entries: Array<{ keyArn: string; entry: ManifestEntry }> }> {
  for await (const item of deps.chunkItems(runId)) {
    if (item.state !== 'DONE' || !item.logKey || !item.keyArns?.length || !wanted(item)) continue;
    const log = await deps.readLog(item.logKey, item.logSha256);
    const entries = log.lines.flatMap((line) => manifestEntryOf(line.record) ?? []);
    yield { entries };
  }
}

async function exists(s3: S3Client, target: { bucket: string; key: string }): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
