import { createHmac } from 'node:crypto';

/**
 * An envelope's per-object nonce (V3's message id, V2's IV), derived from the chunk attempt's salt
 * and the object (docs/architecture.md, "Chunk ledger"): finding it on an object after a crash names
 * the attempt that wrote it, with no per-object item. Each object has a fresh data key, so a nonce
 * derived this way is as safe as a random one: GCM needs a (key, nonce) pair never to repeat, and
 * the key never repeats.
 */
export function envelopeNonce(salt: Buffer, bucket: string, key: string, length: number): Buffer {
  const digest = createHmac('sha256', salt).update(`${bucket}/${key}`).digest();
  if (length > digest.length) throw new RangeError(`nonce of ${length} bytes is longer than HMAC-SHA-256`);
  return digest.subarray(0, length);
}

/** Which of `salts` (oldest first) derived `nonce` for this object; -1 when none did. */
export function attemptOfNonce(salts: Buffer[], bucket: string, key: string, nonce: Buffer): number {
  return salts.findIndex((salt) => envelopeNonce(salt, bucket, key, nonce.length).equals(nonce));
}
