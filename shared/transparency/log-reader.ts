import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { errorName } from '../aws-errors.js';
import type { TransparencyLogConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { TlogError } from '../tlog/errors.js';
import { KmsNoteSigner } from '../tlog/kms-note-signer.js';
import { formatVerifierKey, type NoteVerifier, parseVerifierKey } from '../tlog/verifier-key.js';
import { S3TileStore, type StoredCheckpoint } from './s3-tile-store.js';

/** The key a log is checked with: its verifier key string (signed-note.md) and its verifier. */
export interface LogKey {
  verifierKey: string;
  verifier: NoteVerifier;
}

/**
 * A deployment's transparency log as its readers open it (docs/audit.md, "Transparency log"): the
 * tiles and checkpoint under `config.transparencyLog` in S3, and the key that must have signed the
 * checkpoint. The key comes from KMS `GetPublicKey` of the log's signing key (the same DER SPKI the
 * sequencer's signatures are made with), or, for an outsider without access to that key, from a
 * verifier key string given on the command line. Nothing is read until asked for.
 */
export class DeploymentLogReader {
  readonly store: S3TileStore;
  private key?: Promise<LogKey>;

  constructor(
    private readonly clients: { s3: S3Client; kms: KMSClient },
    readonly config: TransparencyLogConfig,
    private readonly verifierKeyOverride?: string,
  ) {
    this.store = new S3TileStore(clients.s3, { bucket: config.bucket, prefix: config.prefix });
  }

  get origin(): string {
    return this.config.origin;
  }

  /** `s3://bucket/prefix`, for messages. */
  get where(): string {
    return `s3://${this.config.bucket}/${this.config.prefix}`;
  }

  /** The current signed checkpoint, or undefined when nothing was ever sequenced. */
  readCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.store.readCheckpoint();
  }

  /** The checkpoint, or a one-line error saying there is none yet. */
  async requireCheckpoint(): Promise<StoredCheckpoint> {
    const stored = await this.readCheckpoint();
    if (!stored)
      throw new ConfigError(
        `transparency log: no checkpoint at ${this.where}checkpoint yet (nothing has been sequenced; the sequencer writes one once a chunk commits)`,
      );
    return stored;
  }

  /** The key checkpoints must be signed with (read once). */
  logKey(): Promise<LogKey> {
    this.key ??= this.loadKey();
    return this.key;
  }

  private async loadKey(): Promise<LogKey> {
    if (this.verifierKeyOverride !== undefined) return verifierOf(this.verifierKeyOverride, this.origin);
    const { keyId } = this.config;
    let signer: KmsNoteSigner;
    try {
      signer = await KmsNoteSigner.create(this.clients.kms, keyId, this.origin);
    } catch (error) {
      if (errorName(error) === 'NotFoundException')
        throw new ConfigError(
          `transparency log: KMS key ${keyId} not found (S3SEAL_TLOG_KEY): run \`s3-seal setup\`, or give the log's --verifier-key`,
          { cause: error },
        );
      if (error instanceof TlogError)
        throw new ConfigError(`transparency log: ${error.message} (S3SEAL_TLOG_KEY)`, { cause: error });
      throw error;
    }
    return verifierOf(formatVerifierKey(this.origin, signer.publicKeyDer), this.origin);
  }
}

/** Parses a verifier key for the log `origin` (the log's key is named after its origin). */
export function verifierOf(verifierKey: string, origin: string): LogKey {
  let verifier: NoteVerifier;
  try {
    verifier = parseVerifierKey(verifierKey);
  } catch (error) {
    throw new ConfigError(`--verifier-key: ${(error as Error).message}`, { cause: error });
  }
  if (verifier.name !== origin)
    throw new ConfigError(
      `--verifier-key names log "${verifier.name}", this deployment's log is "${origin}" (S3SEAL_TLOG_ORIGIN)`,
    );
  return { verifierKey: verifierKey.trim(), verifier };
}
