import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditLocation } from '../../shared/chunks/chunk-log-types.js';
import { listKeyManifests } from '../../shared/manifests/list-manifests.js';
import { latestWrapOf, type ManifestEntry } from '../../shared/manifests/manifest-entry.js';
import { MANIFEST_METADATA, manifestKey } from '../../shared/manifests/manifest-key.js';
import { MemberEncoder } from '../../shared/manifests/manifest-members.js';
import { readManifestPage } from '../../shared/manifests/manifest-page.js';
import { putManifest } from '../../shared/manifests/manifest-upload.js';
import { newRunId } from '../../shared/runs/run-store.js';

/**
 * Per-key manifests as tests shape them (docs/architecture.md, "Manifests"): what a key's
 * manifests say about each object now, and a manifest of a later run, written in the format the
 * run close compacts (shared/manifests/compact-run.ts), to date wraps as time would have. Planning
 * reads a key's manifests newest run first, so an entry written here is the object's current one.
 */
interface Deployment {
  clients: { s3: S3Client };
  config: { auditLocation: AuditLocation };
}

/** Each object's current entry under `keyArn` (its newest manifest's), by `bucket/key`. */
export async function currentEntries(
  deployment: Deployment,
  keyArn: string,
): Promise<Map<string, ManifestEntry>> {
  const { s3 } = deployment.clients;
  const location = deployment.config.auditLocation;
  const entries = new Map<string, ManifestEntry>();
  for (const key of await listKeyManifests(s3, location, keyArn)) {
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = await readManifestPage(s3, { bucket: location.bucket, key }, offset);
      for (const entry of page.entries) {
        const id = `${entry.bucket}/${entry.key}`;
        if (!entries.has(id)) entries.set(id, entry);
      }
      offset = page.next;
    }
  }
  return entries;
}

/**
 * Writes `entries` as `keyArn`'s manifest of a run started at `runStartedAt` (default: a second
 * from now, past every run started so far: run ids name their start to the second), with the
 * metadata a compaction writes. Returns its key.
 */
export async function writeKeyManifest(
  deployment: Deployment,
  keyArn: string,
  entries: ManifestEntry[],
  runStartedAt = new Date(Date.now() + 1000),
): Promise<string> {
  const location = deployment.config.auditLocation;
  const encoder = new MemberEncoder();
  const members: Buffer[] = [];
  let oldest: string | undefined;
  let newest: string | undefined;
  for (const entry of entries) {
    const member = encoder.add(entry);
    if (member) members.push(member);
    const at = latestWrapOf(entry);
    if (at && (!oldest || at < oldest)) oldest = at;
    if (at && (!newest || at > newest)) newest = at;
  }
  const last = encoder.flush();
  if (last) members.push(last);
  const key = manifestKey(location, keyArn, newRunId(runStartedAt));
  const written = await putManifest(
    deployment.clients.s3,
    { bucket: location.bucket, key },
    Buffer.concat(members),
    {
      [MANIFEST_METADATA.objects]: String(entries.length),
      [MANIFEST_METADATA.keyArn]: keyArn,
      ...(oldest ? { [MANIFEST_METADATA.oldestWrap]: oldest } : {}),
      ...(newest ? { [MANIFEST_METADATA.newestWrap]: newest } : {}),
    },
  );
  if (written !== 'written') throw new Error(`manifest ${key} already exists`);
  return key;
}

/**
 * Dates the wraps of `keys` in `bucket` to `wrappedAt`, as a later run's manifest would: their
 * current entries, re-dated, in a new newest manifest of `keyArn`.
 */
export async function dateWraps(
  deployment: Deployment,
  keyArn: string,
  bucket: string,
  keys: string[],
  wrappedAt: string,
  runStartedAt?: Date,
): Promise<string> {
  const current = await currentEntries(deployment, keyArn);
  const entries = keys.map((key) => {
    const entry = current.get(`${bucket}/${key}`);
    if (!entry) throw new Error(`no manifest of ${keyArn} names s3://${bucket}/${key}`);
    const { seenAt: _seenAt, ...rest } = entry;
    return { ...rest, wrappedAt };
  });
  return writeKeyManifest(deployment, keyArn, entries, runStartedAt);
}

/** Deletes every manifest of `keyArn`, as a deployment from before manifests has none; returns how many. */
export async function dropKeyManifests(deployment: Deployment, keyArn: string): Promise<number> {
  const location = deployment.config.auditLocation;
  const keys = await listKeyManifests(deployment.clients.s3, location, keyArn);
  for (const key of keys) {
    await deployment.clients.s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: key }));
  }
  return keys.length;
}
