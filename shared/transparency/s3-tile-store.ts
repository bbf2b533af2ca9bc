import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound, isPreconditionFailed } from '../aws-errors.js';
import { TlogError } from '../tlog/errors.js';
import { equalHashes } from '../tlog/merkle-hash.js';
import type { TileStore } from '../tlog/tile-store.js';

/** Where a log lives in S3: its tiles, entry bundles and checkpoint are `prefix + path`. */
export interface LogLocation {
  bucket: string;
  /** Ends in `/`. */
  prefix: string;
}

/** A tile already stored with other bytes than the ones the log's leaves give: the log would fork. */
export class TileConflictError extends TlogError {}

/** The checkpoint object as read: its text and the ETag a replacement is conditional on. */
export interface StoredCheckpoint {
  text: string;
  etag: string;
}

const CHECKPOINT = 'checkpoint';

/**
 * The log's tiles and entry bundles in S3 (docs/architecture.md, "Transparency log"). A tile path
 * names fixed content once the leaves it covers are assigned, so every tile is written once
 * (`If-None-Match: *`). A 412 means an earlier attempt wrote it: the stored bytes are read and
 * must be the same, or nothing more is written (a fork or a tampered tile, never papered over).
 */
export class S3TileStore implements TileStore {
  constructor(
    private readonly s3: S3Client,
    readonly location: LogLocation,
  ) {}

  async read(path: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + path }),
      );
      return new Uint8Array(await out.Body!.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async writtenAt(path: string): Promise<Date | undefined> {
    try {
      const out = await this.s3.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + path }),
      );
      return out.LastModified;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.location.prefix + path,
          Body: bytes,
          IfNoneMatch: '*',
          ContentType: 'application/octet-stream',
        }),
      );
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      const stored = await this.read(path);
      if (!stored || !equalHashes(stored, bytes)) {
        throw new TileConflictError(
          `s3://${this.location.bucket}/${this.location.prefix}${path} holds other bytes than the log's leaves give`,
        );
      }
    }
  }

  /** The current checkpoint and its ETag, or undefined before the first. */
  async readCheckpoint(): Promise<StoredCheckpoint | undefined> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + CHECKPOINT }),
      );
      return { text: await out.Body!.transformToString('utf8'), etag: out.ETag! };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Replaces the checkpoint read with ETag `etag` (or creates the first, when undefined) and returns
   * the new one; undefined when another writer replaced it since, so a late writer never puts an
   * older tree back.
   */
  async replaceCheckpoint(text: string, etag: string | undefined): Promise<StoredCheckpoint | undefined> {
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.location.prefix + CHECKPOINT,
          Body: text,
          ContentType: 'text/plain; charset=utf-8',
          ...(etag ? { IfMatch: etag } : { IfNoneMatch: '*' }),
        }),
      );
      return { text, etag: out.ETag! };
    } catch (error) {
      if (isPreconditionFailed(error)) return undefined;
      throw error;
    }
  }
}
