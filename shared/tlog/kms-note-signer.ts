import {
  GetPublicKeyCommand,
  type KMSClient,
  MessageType,
  SignCommand,
  SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { NoteKeyError } from './errors.js';
import { checkKeyName, ecdsaKeyId, type NoteSigner, p256PublicKey } from './note-signer.js';

/**
 * KMS `Sign` takes a RAW message of at most 4,096 bytes (AWS KMS API Reference, Sign): a
 * checkpoint is about 100 bytes, so the message is sent whole and KMS hashes it with SHA-256.
 */
export const KMS_MAX_RAW_MESSAGE = 4096;

/**
 * A NoteSigner whose private key never leaves KMS: an asymmetric `ECC_NIST_P256` key with usage
 * `SIGN_VERIFY`, signing with `ECDSA_SHA_256`. KMS returns the DER signature the 0x02 note type
 * carries, and `GetPublicKey` returns the DER SubjectPublicKeyInfo its key ID is computed from.
 */
export class KmsNoteSigner implements NoteSigner {
  private constructor(
    private readonly kms: KMSClient,
    private readonly keyArn: string,
    readonly name: string,
    readonly publicKeyDer: Uint8Array,
    readonly keyId: number,
  ) {}

  /** Reads the key's public half once and checks the key can sign checkpoints. */
  static async create(kms: KMSClient, keyId: string, name: string): Promise<KmsNoteSigner> {
    checkKeyName(name);
    const key = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    if (key.KeySpec !== 'ECC_NIST_P256' || key.KeyUsage !== 'SIGN_VERIFY' || !key.PublicKey || !key.KeyId) {
      throw new NoteKeyError(
        `KMS key ${keyId} is ${key.KeySpec ?? '?'} for ${key.KeyUsage ?? '?'}: checkpoints need an ECC_NIST_P256 SIGN_VERIFY key`,
      );
    }
    const der = new Uint8Array(key.PublicKey);
    p256PublicKey(der);
    return new KmsNoteSigner(kms, key.KeyId, name, der, ecdsaKeyId(der));
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (message.length > KMS_MAX_RAW_MESSAGE) {
      throw new NoteKeyError(
        `a note of ${message.length} bytes exceeds KMS's ${KMS_MAX_RAW_MESSAGE}-byte RAW message`,
      );
    }
    const signed = await this.kms.send(
      new SignCommand({
        KeyId: this.keyArn,
        Message: message,
        MessageType: MessageType.RAW,
        SigningAlgorithm: SigningAlgorithmSpec.ECDSA_SHA_256,
      }),
    );
    if (!signed.Signature) throw new NoteKeyError(`KMS returned no signature for key ${this.keyArn}`);
    return new Uint8Array(signed.Signature);
  }
}
