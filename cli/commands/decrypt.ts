import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { openObject } from '../../shared/envelope/open-object.js';
import { parseS3ObjectUri } from '../../shared/s3-uri.js';
import { cliRuntime } from '../runtime.js';

/**
 * Writes an envelope object's plaintext to FILE (or stdout). To a file, bytes go to FILE.partial
 * first and are renamed only after the GCM tag verified, so a tampered object never leaves a
 * plausible-looking FILE behind.
 */
export async function decryptCommand(
  uri: string,
  options: { output?: string; versionId?: string },
): Promise<void> {
  const { bucket, key } = parseS3ObjectUri(uri);
  const { clients } = cliRuntime();
  const opened = await openObject(clients, bucket, key, options.versionId);
  if (!options.output || options.output === '-') {
    await pipeline(opened.plaintext, process.stdout);
    return;
  }
  const partial = `${options.output}.partial`;
  try {
    await pipeline(opened.plaintext, createWriteStream(partial, { mode: 0o600 }));
    await rename(partial, options.output);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  console.error(
    `decrypted s3://${bucket}/${key} (${opened.envelope.plaintextLength} bytes, key ${opened.keyArn}) -> ${options.output}`,
  );
}
