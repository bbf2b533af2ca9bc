import type { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deploymentChunkSource } from '../../shared/audit/deployment-chunk-source.js';
import type { Config } from '../../shared/config.js';
import type { RunStore } from '../../shared/runs/run-store.js';
import { deploymentSequencer } from '../../shared/transparency/deployment-log.js';
import { type LeafRequest, leafRequestOf } from '../../shared/transparency/leaf-request.js';
import { S3TileStore } from '../../shared/transparency/s3-tile-store.js';

/**
 * Committed chunks made without a pipeline (synthetic runs) get their leaves from the deployment's
 * real sequencer (shared/transparency/log-sequencer.ts), as a run's close would hand them on.
 */
export interface LogDeployment {
  clients: { s3: S3Client; kms: KMSClient; dynamo: DynamoDBDocumentClient };
  config: Config;
  runs: Pick<RunStore, 'allRunIds'>;
}

export const logStore = (deployment: LogDeployment) =>
  new S3TileStore(deployment.clients.s3, {
    bucket: deployment.config.transparencyLog.bucket,
    prefix: deployment.config.transparencyLog.prefix,
  });

/** Appends every committed chunk of every run that has no leaf yet; returns the published size. */
export async function sequenceCommitted(
  deployment: LogDeployment,
): Promise<{ size: number; appended: number }> {
  const source = deploymentChunkSource(deployment.clients, deployment.config);
  const requests: LeafRequest[] = [];
  for await (const runId of deployment.runs.allRunIds())
    for await (const item of source.listRun(runId)) {
      const request =
        item.leafIndex === undefined && leafRequestOf(deployment.config.auditLocation.bucket, item);
      if (request) requests.push(request);
    }
  const result = await deploymentSequencer(deployment.clients, deployment.config).sequence(requests);
  if (result.refused.length > 0) throw new Error(`the sequencer refused ${JSON.stringify(result.refused)}`);
  return { size: result.size, appended: result.appended };
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
