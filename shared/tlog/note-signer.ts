import { createHash, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { NoteKeyError } from './errors.js';

/**
 * Signers and key identity for signed notes with signature type 0x02 (signed-note.md: "ECDSA
 * signatures as implemented by github.com/transparency-dev/witness"): ECDSA P-256 over SHA-256 of
 * the note text, the signature DER-encoded; the public key is its DER SubjectPublicKeyInfo and the
 * key ID is the first four bytes of SHA-256 of that DER alone (not of name || 0x0A || type || key,
 * as for Ed25519).
 */
export const SIGNATURE_TYPE_ECDSA = 0x02;

/** Signs note text under a named key. */
export interface NoteSigner {
  /** The key name written on the signature line (no spaces, no `+`). */
  readonly name: string;
  /** The 32-bit key ID that prefixes each signature. */
  readonly keyId: number;
  /** The DER SubjectPublicKeyInfo of the P-256 public key. */
  readonly publicKeyDer: Uint8Array;
  /** The DER ECDSA signature over SHA-256 of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Checks that `name` may name a signed-note key: non-empty, no Unicode space, no `+`. */
export function checkKeyName(name: string): void {
  if (name === '' || /[\s+]/u.test(name)) {
    throw new NoteKeyError(`a note key name must be non-empty, without spaces or "+": "${name}"`);
  }
}

/** The key ID of a 0x02 key: SHA-256(DER SPKI)[:4] as a big-endian uint32. */
export function ecdsaKeyId(publicKeyDer: Uint8Array): number {
  return createHash('sha256').update(publicKeyDer).digest().readUInt32BE(0);
}

/** Checks the DER SPKI is an EC key on P-256 and returns it as a KeyObject. */
export function p256PublicKey(publicKeyDer: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new NoteKeyError('the public key is not a DER SubjectPublicKeyInfo', { cause });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new NoteKeyError('a note key of type 0x02 must be an ECDSA key on NIST P-256 here');
  }
  return key;
}

/** A NoteSigner over a private key held by this process (tests, local logs). */
export class LocalNoteSigner implements NoteSigner {
  readonly publicKeyDer: Uint8Array;
  readonly keyId: number;

  constructor(
    readonly name: string,
    private readonly privateKey: KeyObject,
  ) {
    checkKeyName(name);
    this.publicKeyDer = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
    p256PublicKey(this.publicKeyDer);
    this.keyId = ecdsaKeyId(this.publicKeyDer);
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' }));
  }
}
