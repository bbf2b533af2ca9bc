import { gunzipSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { ChunkRecord, StoredChunkLog } from '../../../../shared/chunks/chunk-log-types.js';
import type { ChunkItem } from '../../../../shared/chunks/chunk-store.js';
import { compactRunManifests } from '../../../../shared/manifests/compact-run.js';

const A = 'arn:aws:kms:eu-west-1:1:key/aaaa';
const B = 'arn:aws:kms:eu-west-1:1:key/bbbb';
const location = { bucket: 'audit', prefix: 'audit/' };

const record = (key: string, overrides: Partial<ChunkRecord> = {}): ChunkRecord => ({
  decision: 'rewrapped',
  runId: 'run1',
  jobId: key,
  actor: 'me',
  bucket: 'bkt',
  key,
  mode: 'rewrap',
  keyArn: B,
  etagAfter: `"${key}"`,
  at: '2026-03-01T00:00:00.000Z',
  chunkId: 'c'.repeat(24),
  position: 0,
  ...overrides,
});

const item = (chunkId: string, overrides: Partial<ChunkItem>): ChunkItem => ({
  runId: 'run1',
  chunkId,
  state: 'DONE',
  attempt: 1,
  membership: 'm',
  salts: [],
  firstClaimedAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
  ...overrides,
});

const logs: Record<string, ChunkRecord[]> = {
  'log-1': [
    record('k1'),
    record('k2', { decision: 'skipped', reason: 'wrapped-under-another-key' }),
    record('k3', { at: '2026-01-01T00:00:00.000Z' }),
  ],
  'log-2': [record('k4', { decision: 'compliant', keyArn: A, etagBefore: '"k4"', etagAfter: undefined })],
};

/** A fake S3 holding what was PUT; conditional PUTs answer 412 like S3. */
function fakeS3() {
  const objects = new Map<string, { body: Buffer; metadata: Record<string, string> }>();
  const send = async (command: unknown) => {
    if (command instanceof HeadObjectCommand) {
      if (objects.has(command.input.Key!)) return {};
      throw Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    }
    if (command instanceof PutObjectCommand) {
      const key = command.input.Key!;
      if (command.input.IfNoneMatch === '*' && objects.has(key)) {
        throw Object.assign(new Error('PreconditionFailed'), {
          name: 'PreconditionFailed',
          $metadata: { httpStatusCode: 412 },
        });
      }
      objects.set(key, {
        body: Buffer.from(command.input.Body as Buffer),
        metadata: command.input.Metadata ?? {},
      });
      return {};
    }
    throw new Error(`unexpected ${String(command)}`);
  };
  return { s3: { send } as unknown as S3Client, objects };
}

function deps(s3: S3Client, read: string[] = []) {
  return {
    s3,
    location,
    async *chunkItems() {
      yield item('c1', { logKey: 'log-1', logSha256: 'sha-1', keyArns: [B] });
      yield item('c2', { logKey: 'log-2', logSha256: 'sha-2', keyArns: [A] });
      yield item('c3', { state: 'RETRY' });
    },
    readLog: async (key: string, sha256?: string): Promise<StoredChunkLog & { problems: string[] }> => {
      // The committed SHA-256 comes with the key: a reader may answer from the bytes it wrote.
      expect(sha256).toBe(key.replace('log', 'sha'));
      read.push(key);
      return { key, sha256: 'x', lines: logs[key]!.map((r) => ({ record: r, hash: 'h' })), problems: [] };
    },
  };
}

describe('compactRunManifests', () => {
  it('writes one manifest per key of what committed records leave under it, with its count and wraps', async () => {
    const { s3, objects } = fakeS3();
    const read: string[] = [];
    const written = await compactRunManifests(deps(s3, read), 'run1');
    expect(read).toEqual(['log-1', 'log-2']);
    expect(written.map((m) => [m.keyArn, m.objects, m.write])).toEqual([
      [B, 2, 'written'],
      [A, 1, 'written'],
    ]);
    const b = objects.get('audit/manifests/bbbb/run1.jsonl.gz')!;
    expect(b.metadata).toEqual({
      objects: '2',
      'key-arn': B,
      'oldest-wrap': '2026-01-01T00:00:00.000Z',
      'newest-wrap': '2026-03-01T00:00:00.000Z',
    });
    expect(gunzipSync(b.body).toString()).toBe(
      '{"bucket":"bkt","key":"k1","etag":"\\"k1\\"","wrappedAt":"2026-03-01T00:00:00.000Z"}\n' +
        '{"bucket":"bkt","key":"k3","etag":"\\"k3\\"","wrappedAt":"2026-01-01T00:00:00.000Z"}\n',
    );
    const a = objects.get('audit/manifests/aaaa/run1.jsonl.gz')!;
    expect(gunzipSync(a.body).toString()).toBe(
      '{"bucket":"bkt","key":"k4","etag":"\\"k4\\"","seenAt":"2026-03-01T00:00:00.000Z"}\n',
    );
    expect(objects.has('audit/runs/run1/manifests.json')).toBe(true);
  });

  it('is idempotent: a closer after a finished compaction reads nothing; one after a crash finds the manifests (412)', async () => {
    const { s3, objects } = fakeS3();
    await compactRunManifests(deps(s3), 'run1');
    const read: string[] = [];
    expect(await compactRunManifests(deps(s3, read), 'run1')).toEqual([]);
    expect(read).toEqual([]);
    // The marker lost (a crash before it): the manifests answer 412 and the compaction finishes.
    objects.delete('audit/runs/run1/manifests.json');
    const again = await compactRunManifests(deps(s3), 'run1');
    expect(again.map((m) => m.write)).toEqual(['exists', 'exists']);
    expect(objects.has('audit/runs/run1/manifests.json')).toBe(true);
  });

  it('does not look for the marker when its caller just closed the run (no compaction can have begun)', async () => {
    const { s3, objects } = fakeS3();
    const sent: string[] = [];
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return s3.send(command as never);
      },
    } as unknown as S3Client;
    await compactRunManifests(deps(counting), 'run1', { closedNow: true });
    expect(sent).toEqual(['PutObjectCommand', 'PutObjectCommand', 'PutObjectCommand']);
    expect(objects.has('audit/runs/run1/manifests.json')).toBe(true);
    sent.length = 0;
    // A closer that finds the run closed by another looks first, and stops there.
    expect(await compactRunManifests(deps(counting), 'run1', { closedNow: false })).toEqual([]);
    expect(sent).toEqual(['HeadObjectCommand']);
  });
});
