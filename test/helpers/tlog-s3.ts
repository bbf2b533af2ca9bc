import { CreateKeyCommand, type KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { committedKeyOf } from '../../shared/audit/chunk-source.js';
import { deploymentChunkSource } from '../../shared/audit/deployment-chunk-source.js';
import { chunkItemKey } from '../../shared/chunks/chunk-item-key.js';
import type { ChunkItem } from '../../shared/chunks/chunk-store.js';
import type { Config } from '../../shared/config.js';
import type { RunStore } from '../../shared/runs/run-store.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { openCheckpoint, signCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { buildTiles } from '../../shared/tlog/tile-builder.js';
import { formatVerifierKey, parseVerifierKey } from '../../shared/tlog/verifier-key.js';
import { encodeLeafEntry } from '../../shared/transparency/leaf-entry.js';
import { S3TileStore } from '../../shared/transparency/s3-tile-store.js';

/**
 * A deployment's transparency log written in tests as the sequencer writes it (docs/design/
 * transparency-log.md): tiles once, then a checkpoint signed by a KMS ECC_NIST_P256 key replacing
 * the last one, and each sequenced chunk item's leafIndex. Until the sequencer runs in tests, this
 * is how a test gives its committed chunks their leaves.
 */
export interface LogDeployment {
  clients: { s3: S3Client; kms: KMSClient; dynamo: DynamoDBDocumentClient };
  config: Config;
  runs: Pick<RunStore, 'allRunIds'>;
}

/** A KMS key that can sign checkpoints (ECC_NIST_P256, SIGN_VERIFY); scheduled for deletion by `dropKey`. */
export async function createLogKey(kms: KMSClient): Promise<string> {
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      Description: 's3-seal tlog test',
    }),
  );
  return KeyMetadata!.KeyId!;
}

export async function dropKey(kms: KMSClient, keyId: string): Promise<void> {
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
}

export const logStore = (deployment: LogDeployment) =>
  new S3TileStore(deployment.clients.s3, {
    bucket: deployment.config.transparencyLog.bucket,
    prefix: deployment.config.transparencyLog.prefix,
  });

/** Every committed chunk of every run that has no leaf yet, in commit order. */
async function unsequenced(deployment: LogDeployment): Promise<ChunkItem[]> {
  const source = deploymentChunkSource(deployment.clients, deployment.config);
  const items: ChunkItem[] = [];
  for await (const runId of deployment.runs.allRunIds())
    for await (const item of source.listRun(runId))
      if (item.state === 'DONE' && item.leafIndex === undefined) items.push(item);
  return items.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt) || a.chunkId.localeCompare(b.chunkId));
}

/**
 * Appends every committed chunk without a leaf, signs and stores the new checkpoint, then sets the
 * chunks' leafIndex. Returns the new tree size and the signed checkpoint.
 */
export async function sequenceCommitted(
  deployment: LogDeployment,
  keyId: string,
): Promise<{ size: number; checkpoint: string; appended: number }> {
  const { s3, kms, dynamo } = deployment.clients;
  const { origin, bucket } = deployment.config.transparencyLog;
  const store = logStore(deployment);
  const signer = await KmsNoteSigner.create(kms, keyId, origin);
  const stored = await store.readCheckpoint();
  const verifier = parseVerifierKey(formatVerifierKey(origin, signer.publicKeyDer));
  const old = stored ? openCheckpoint(stored.text, [verifier], origin) : undefined;
  const items = await unsequenced(deployment);
  const source = deploymentChunkSource({ s3, dynamo }, deployment.config);
  const entries = items.map((item) =>
    encodeLeafEntry({ bucket, key: committedKeyOf(source, item), sha256: item.logSha256! }),
  );
  const build = await buildTiles(store, old?.size ?? 0, entries, old?.rootHash);
  for (const { path, bytes } of build.writes) await store.write(path, bytes);
  const checkpoint = await signCheckpoint({ origin, size: build.size, rootHash: build.rootHash }, [signer]);
  if (!(await store.replaceCheckpoint(checkpoint, stored?.etag))) throw new Error('the checkpoint moved');
  for (const [i, item] of items.entries()) await setLeafIndex(deployment, item, (old?.size ?? 0) + i);
  return { size: build.size, checkpoint, appended: items.length };
}

/** Sets (or, with undefined, removes) a chunk item's leafIndex, as the sequencer's transaction does. */
export async function setLeafIndex(
  deployment: LogDeployment,
  item: Pick<ChunkItem, 'runId' | 'chunkId'>,
  leafIndex: number | undefined,
): Promise<void> {
  await deployment.clients.dynamo.send(
    new UpdateCommand({
      TableName: deployment.config.ledgerTable,
      Key: chunkItemKey(item),
      UpdateExpression: leafIndex === undefined ? 'REMOVE leafIndex' : 'SET leafIndex = :i',
      ...(leafIndex === undefined ? {} : { ExpressionAttributeValues: { ':i': leafIndex } }),
    }),
  );
}

/** The bytes of an object of the log (`path` under its prefix) or of the audit bucket (`key`). */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

export async function writeObject(s3: S3Client, bucket: string, key: string, body: Uint8Array | string) {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/**
 * Applies `change` to a stored object (a tamperer's overwrite) for the duration of `check`, then
 * puts the original bytes back.
 */
export async function whileTampered<T>(
  s3: S3Client,
  bucket: string,
  key: string,
  change: (bytes: Buffer) => Uint8Array | string,
  check: () => Promise<T>,
): Promise<T> {
  const original = await readObject(s3, bucket, key);
  await writeObject(s3, bucket, key, change(Buffer.from(original)));
  try {
    return await check();
  } finally {
    await writeObject(s3, bucket, key, original);
  }
}
