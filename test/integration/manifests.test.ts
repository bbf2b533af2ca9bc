import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';
import type { ManifestEntry } from '../../shared/manifests/manifest-entry.js';
import { MemberEncoder } from '../../shared/manifests/manifest-members.js';
import { readManifestPage } from '../../shared/manifests/manifest-page.js';
import { ManifestUpload, putManifest } from '../../shared/manifests/manifest-upload.js';

const { s3 } = createClients(loadConfig());
const bucket = `manifests-${randomUUID().slice(0, 8)}`;

function members(count: number): Buffer {
  const encoder = new MemberEncoder();
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const member = encoder.add({ bucket: 'b', key: `k${i}`, wrappedAt: '2026-01-01T00:00:00.000Z' });
    if (member) out.push(member);
  }
  const last = encoder.flush();
  return Buffer.concat(last ? [...out, last] : out);
}

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

describe('manifest objects in S3', () => {
  it('are written once (a second PUT finds the first: 412) and read page by page with ranged GETs', async () => {
    const target = { bucket, key: 'manifests/k/run1.jsonl.gz' };
    const body = members(2100);
    expect(await putManifest(s3, target, body, { objects: '2100' })).toBe('written');
    expect(await putManifest(s3, target, members(1), { objects: '1' })).toBe('exists');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: target.key }));
    expect(head.Metadata).toEqual({ objects: '2100' });
    const entries: ManifestEntry[] = [];
    const sizes: number[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = await readManifestPage(s3, target, offset);
      sizes.push(page.entries.length);
      entries.push(...page.entries);
      offset = page.next;
    }
    expect(sizes).toEqual([1000, 1000, 100]);
    expect(entries.map((e) => e.key)).toEqual(Array.from({ length: 2100 }, (_, i) => `k${i}`));
  });

  it('uploaded in parts, complete once: a second completion finds the manifest there', async () => {
    const target = { bucket, key: 'manifests/k/run2.jsonl.gz' };
    const first = await ManifestUpload.start(s3, target, { objects: '3' });
    const second = await ManifestUpload.start(s3, target, { objects: '3' });
    await first.part(members(3));
    await second.part(members(3));
    expect(await first.complete()).toBe('written');
    expect(await second.complete()).toBe('exists');
    expect((await readManifestPage(s3, target, 0)).entries).toHaveLength(3);
  });
});
