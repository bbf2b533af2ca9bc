import { type KeyObject, verify } from 'node:crypto';
import { decodeBase64 } from './base64.js';
import { NoteKeyError } from './errors.js';
import { checkKeyName, ecdsaKeyId, p256PublicKey, SIGNATURE_TYPE_ECDSA } from './note-signer.js';

/**
 * Verifier keys of signed-note.md: `<name>+<hex key ID>+<base64(type byte || public key)>`, the
 * string an auditor is given to check checkpoints (and the one tessera's fsck reads).
 */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** True when `signature` (without the 4-byte key ID) signs `message`. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** The verifier key string of a 0x02 (ECDSA P-256) key. */
export function formatVerifierKey(name: string, publicKeyDer: Uint8Array): string {
  checkKeyName(name);
  p256PublicKey(publicKeyDer);
  const material = Buffer.concat([Uint8Array.of(SIGNATURE_TYPE_ECDSA), publicKeyDer]).toString('base64');
  return `${name}+${hex8(ecdsaKeyId(publicKeyDer))}+${material}`;
}

class EcdsaNoteVerifier implements NoteVerifier {
  constructor(
    readonly name: string,
    readonly keyId: number,
    private readonly key: KeyObject,
  ) {}
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    try {
      return verify('sha256', message, { key: this.key, dsaEncoding: 'der' }, signature);
    } catch {
      return false; // a malformed DER signature is a signature that does not verify
    }
  }
}

/** Parses a verifier key; only signature type 0x02 on P-256 is accepted. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const parts = vkey.trim().split('+');
  const [name, idHex] = parts;
  if (parts.length < 3 || !name || !idHex) {
    throw new NoteKeyError('a verifier key reads <name>+<hex key ID>+<base64 key>');
  }
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteKeyError(`bad verifier key ID "${idHex}"`);
  // `+` is also a base64 character: the key material is everything after the second `+`.
  const material = decodeBase64(parts.slice(2).join('+'), 'verifier key');
  if (material[0] !== SIGNATURE_TYPE_ECDSA) {
    throw new NoteKeyError(
      `verifier key type 0x${(material[0] ?? 0).toString(16)} is not supported (0x02 only)`,
    );
  }
  const der = material.subarray(1);
  const keyId = ecdsaKeyId(der);
  if (hex8(keyId) !== idHex)
    throw new NoteKeyError(`verifier key ID ${idHex} does not match its key (${hex8(keyId)})`);
  return new EcdsaNoteVerifier(name, keyId, p256PublicKey(der));
}
