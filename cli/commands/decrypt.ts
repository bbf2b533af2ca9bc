import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openObject } from '../../shared/envelope/open-object.js';
import { describeError, PermanentError } from '../../shared/errors.js';
import { displayS3Uri, parseS3ObjectUri } from '../../shared/s3-uri.js';
import { assertWritableTarget } from '../output-file.js';
import { cliRuntime } from '../runtime.js';

/**
 * Writes an envelope object's plaintext to FILE (or stdout). GCM authenticates only at the end of
 * the body, so no byte is released before that: bytes go to a private temporary file first (beside
 * FILE, or in the system's temporary directory for stdout), and FILE appears, or stdout receives
 * the plaintext, only after the tag verified. A tampered object leaves nothing behind.
 */
export async function decryptCommand(
  uri: string,
  options: { output?: string; versionId?: string },
): Promise<void> {
  const { bucket, key } = parseS3ObjectUri(uri);
  const toFile = options.output !== undefined && options.output !== '-';
  if (toFile) await assertWritableTarget(options.output!);
  const { clients } = cliRuntime();
  // Say which object (and version) a reason is about: unwrapping its key, or authenticating its body.
  const version = options.versionId ? ` (version ${options.versionId})` : '';
  const aboutObject = (error: unknown): never => {
    throw new PermanentError(`${displayS3Uri({ bucket, key })}${version}: ${describeError(error)}`, {
      cause: error,
    });
  };
  const opened = await openObject(clients, bucket, key, { versionId: options.versionId }).catch(aboutObject);
  const scratch = await mkdtemp(join(toFile ? dirname(options.output!) : tmpdir(), '.s3-seal-decrypt-'));
  const partial = join(scratch, 'plaintext');
  try {
    await pipeline(opened.plaintext, createWriteStream(partial, { mode: 0o600 })).catch(aboutObject);
    if (toFile) await rename(partial, options.output!);
    else await pipeline(createReadStream(partial), process.stdout, { end: false });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  console.error(
    `decrypted ${displayS3Uri({ bucket, key })} (S3EC ${opened.envelope.format}, ${opened.plaintextLength} bytes, key ${opened.keyArn}) -> ${toFile ? options.output : 'stdout'}`,
  );
}
