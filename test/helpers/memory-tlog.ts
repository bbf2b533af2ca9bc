import { generateKeyPairSync } from 'node:crypto';
import { committedKeyOf } from '../../shared/audit/chunk-source.js';
import type { Checkpoint } from '../../shared/tlog/checkpoint.js';
import { EMPTY_TREE_HASH } from '../../shared/tlog/merkle-hash.js';
import { LocalNoteSigner } from '../../shared/tlog/note-signer.js';
import { signCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { buildTiles } from '../../shared/tlog/tile-builder.js';
import { MemoryTileStore } from '../../shared/tlog/tile-store.js';
import { formatVerifierKey, parseVerifierKey } from '../../shared/tlog/verifier-key.js';
import { encodeLeafEntry } from '../../shared/transparency/leaf-entry.js';
import type { MemoryChunkTrail } from './memory-chunk-trail.js';

export const LOG_ORIGIN = 's3-seal/audit-bucket/tlog';
export const AUDIT_BUCKET = 'audit-bucket';

/**
 * A transparency log in memory for unit tests, appended to as the sequencer does (tiles, then a
 * checkpoint signed by a local P-256 key), with the chunk items' leafIndex set on the trail.
 */
export class MemoryLog {
  readonly store = new MemoryTileStore();
  readonly signer = new LocalNoteSigner(
    LOG_ORIGIN,
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  );
  readonly verifierKey = formatVerifierKey(LOG_ORIGIN, this.signer.publicKeyDer);
  readonly verifier = parseVerifierKey(this.verifierKey);
  tree: Pick<Checkpoint, 'size' | 'rootHash'> = { size: 0, rootHash: EMPTY_TREE_HASH };
  checkpoint: string | undefined;

  /** Appends raw entries and signs the new checkpoint; returns the first new leaf's index. */
  async append(entries: Uint8Array[]): Promise<number> {
    const first = this.tree.size;
    const build = await buildTiles(this.store, first, entries);
    for (const { path, bytes } of build.writes) await this.store.write(path, bytes);
    this.tree = { size: build.size, rootHash: build.rootHash };
    this.checkpoint = await this.sign(this.tree);
    return first;
  }

  /** What `verifyTransparencyLog` reads of this log: its tiles, origin, audit bucket, checkpoint and key. */
  get verifying() {
    return {
      store: this.store,
      origin: LOG_ORIGIN,
      bucket: AUDIT_BUCKET,
      checkpoint: this.checkpoint,
      verifier: this.verifier,
    };
  }

  sign(tree: Pick<Checkpoint, 'size' | 'rootHash'>, signer = this.signer): Promise<string> {
    return signCheckpoint({ origin: LOG_ORIGIN, ...tree }, [signer]);
  }

  /** Sequences committed chunks of `trail`: a leaf each, in the order given, and their leafIndex. */
  async sequence(trail: MemoryChunkTrail, chunkIds: string[]): Promise<void> {
    const items = chunkIds.map((id) => trail.items.get(id)!);
    const first = await this.append(
      items.map((item) =>
        encodeLeafEntry({ bucket: AUDIT_BUCKET, key: committedKeyOf(trail, item), sha256: item.logSha256! }),
      ),
    );
    items.forEach((item, i) => {
      item.leafIndex = first + i;
    });
  }
}
