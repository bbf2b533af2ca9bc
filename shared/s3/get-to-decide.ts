import type { Readable } from 'node:stream';
import {
  type ChecksumAlgorithm,
  GetObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { httpStatus, isNotFound } from '../aws-errors.js';
import { checksumAlgorithmOf } from './checksum-algorithm.js';
import { type ObjectHead, toObjectHead } from './object-head.js';

/** The body of a GET, as a seal reads its plaintext from it (shared/envelope/seal-object.ts). */
export interface HeldBody {
  body: Readable;
  /** The object's length: the GET's Content-Length. */
  plaintextLength: number;
  /** Tags on the object (S3 returns the count on GET). */
  tagCount: number;
  /** The additional-checksum algorithm the object carries (the GET asks with ChecksumMode). */
  checksumAlgorithm?: ChecksumAlgorithm;
}

/**
 * An object read with one GET whose response headers decide what happens to it (docs/
 * architecture.md, "Chunks", "Deciding on the GET"): the head they show, and the body, unread, held
 * for the seal that encrypts exactly those bytes. Whoever does not take the body releases it: it is
 * destroyed, and no byte is read beyond what the HTTP client had buffered.
 */
export class OpenedObject {
  private held: HeldBody | undefined;

  constructor(
    readonly head: ObjectHead,
    held: HeldBody,
  ) {
    this.held = held;
  }

  /** The body, once; undefined once taken or released. The taker owns it from then on. */
  take(): HeldBody | undefined {
    const held = this.held;
    this.held = undefined;
    return held;
  }

  /** Destroys the body unless it was taken. Safe to call any number of times. */
  release(): void {
    this.held?.body.destroy();
    this.held = undefined;
  }

  /** Whether the body is still held (neither taken nor released). */
  get holding(): boolean {
    return this.held !== undefined;
  }
}

/**
 * A GET of the current object, to decide on its response headers. `undefined`: the object does not
 * exist (404, a delete marker). `'ask-head'`: S3 refused the GET where a HEAD may still answer (400:
 * SSE-C without its key; 403: an archived object's InvalidObjectState, or a KMS key the caller may
 * not decrypt with), so the caller asks a HEAD and decides on it exactly as before. Any other error
 * is thrown, as a HEAD's would be.
 */
export async function getToDecide(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<OpenedObject | undefined | 'ask-head'> {
  let got: GetObjectCommandOutput;
  try {
    got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    const status = httpStatus(error);
    if (status === 400 || status === 403) return 'ask-head';
    throw error;
  }
  const { Body, ...headers } = got;
  const head = toObjectHead(bucket, key, headers);
  return new OpenedObject(head, {
    body: Body as Readable,
    plaintextLength: head.size,
    tagCount: headers.TagCount ?? 0,
    checksumAlgorithm: checksumAlgorithmOf(headers),
  });
}
