import { HeadObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import { MANIFEST_METADATA, manifestKeyId, manifestsRoot, runIdOfManifest } from './manifest-key.js';

/** A manifest as its listing and metadata show it, without reading it. */
export interface ManifestSummary {
  key: string;
  runId: string;
  keyArn?: string;
  objects: number;
  oldestWrap?: string;
  newestWrap?: string;
}

/** The manifest keys of one KMS key, newest run first (run ids start with their start time). */
export async function listKeyManifests(
  s3: S3Client,
  location: AuditLocation,
  keyArn: string,
): Promise<string[]> {
  return listManifestsOfKeyId(s3, location, manifestKeyId(keyArn));
}

/** The manifest keys under one key id, newest run first. */
export async function listManifestsOfKeyId(
  s3: S3Client,
  location: AuditLocation,
  keyId: string,
): Promise<string[]> {
  const keys: string[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: location.bucket, Prefix: `${manifestsRoot(location)}${keyId}/` },
  );
  for await (const page of pages) {
    for (const object of page.Contents ?? []) {
      if (object.Key && runIdOfManifest(object.Key)) keys.push(object.Key);
    }
  }
  return keys.sort((a, b) => runIdOfManifest(b)!.localeCompare(runIdOfManifest(a)!));
}

/** The key ids that have manifests: one listing with a delimiter, however many manifests there are. */
export async function listManifestKeyIds(s3: S3Client, location: AuditLocation): Promise<string[]> {
  const root = manifestsRoot(location);
  const ids: string[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: location.bucket, Prefix: root, Delimiter: '/' },
  );
  for await (const page of pages) {
    for (const common of page.CommonPrefixes ?? []) {
      if (common.Prefix) ids.push(common.Prefix.slice(root.length, -1));
    }
  }
  return ids.sort();
}

/** One HEAD: what a manifest's metadata says (its object count, key and wraps). */
export async function summarizeManifest(
  s3: S3Client,
  location: AuditLocation,
  key: string,
): Promise<ManifestSummary> {
  const out = await s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: key }));
  const metadata = out.Metadata ?? {};
  return {
    key,
    runId: runIdOfManifest(key) ?? '',
    keyArn: metadata[MANIFEST_METADATA.keyArn],
    objects: Number(metadata[MANIFEST_METADATA.objects] ?? 0),
    oldestWrap: metadata[MANIFEST_METADATA.oldestWrap],
    newestWrap: metadata[MANIFEST_METADATA.newestWrap],
  };
}
