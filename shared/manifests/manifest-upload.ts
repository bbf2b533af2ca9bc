import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { isPreconditionFailed } from '../aws-errors.js';

/**
 * Write-once manifest objects (docs/architecture.md, "Manifests"): every write is
 * conditional on the key being absent (`If-None-Match: *`, also on CompleteMultipartUpload), so a
 * second closer of the same run finds the manifest there (412) and carries on.
 */
export type ManifestWrite = 'written' | 'exists';

const CONTENT = { ContentType: 'application/x-ndjson', ContentEncoding: 'gzip' } as const;

export async function putManifest(
  s3: S3Client,
  target: { bucket: string; key: string },
  body: Buffer,
  metadata: Record<string, string>,
): Promise<ManifestWrite> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: body,
        IfNoneMatch: '*',
        Metadata: metadata,
        ...CONTENT,
      }),
    );
    return 'written';
  } catch (error) {
    if (isPreconditionFailed(error)) return 'exists';
    throw error;
  }
}

/**
 * A manifest too large to hold in memory, uploaded in parts of at least 5 MiB (S3's minimum part
 * size, "Amazon S3 multipart upload limits"; 10,000 parts at most) as it is produced.
 */
export class ManifestUpload {
  private readonly parts: Array<{ PartNumber: number; ETag: string }> = [];

  private constructor(
    private readonly s3: S3Client,
    private readonly target: { bucket: string; key: string },
    private readonly uploadId: string,
  ) {}

  static async start(
    s3: S3Client,
    target: { bucket: string; key: string },
    metadata: Record<string, string>,
  ): Promise<ManifestUpload> {
    const out = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        Metadata: metadata,
        ...CONTENT,
      }),
    );
    return new ManifestUpload(s3, target, out.UploadId!);
  }

  async part(body: Buffer): Promise<void> {
    const PartNumber = this.parts.length + 1;
    const out = await this.s3.send(
      new UploadPartCommand({
        Bucket: this.target.bucket,
        Key: this.target.key,
        UploadId: this.uploadId,
        PartNumber,
        Body: body,
      }),
    );
    this.parts.push({ PartNumber, ETag: out.ETag! });
  }

  async complete(): Promise<ManifestWrite> {
    try {
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.target.bucket,
          Key: this.target.key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: this.parts },
          IfNoneMatch: '*',
        }),
      );
      return 'written';
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      await this.abort();
      return 'exists';
    }
  }

  async abort(): Promise<void> {
    await this.s3.send(
      new AbortMultipartUploadCommand({
        Bucket: this.target.bucket,
        Key: this.target.key,
        UploadId: this.uploadId,
      }),
    );
  }
}
