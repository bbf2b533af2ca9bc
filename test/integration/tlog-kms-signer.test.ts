import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoteKeyError } from '../../shared/tlog/errors.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { ecdsaKeyId } from '../../shared/tlog/note-signer.js';
import { openCheckpoint, signCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { parseNote } from '../../shared/tlog/signed-note.js';
import { buildTiles } from '../../shared/tlog/tile-builder.js';
import { MemoryTileStore } from '../../shared/tlog/tile-store.js';
import { formatVerifierKey, parseVerifierKey } from '../../shared/tlog/verifier-key.js';
import { runTool, writeLogDirectory } from '../helpers/tlog-directory.js';
import { buildTlogTools } from '../helpers/tlog-go.js';

// Checkpoints signed by a KMS key (ECC_NIST_P256, SIGN_VERIFY) on the local stack, checked by the
// TypeScript verifier and by Go's transparency-dev/formats ECDSA note verifier.
const origin = 'example.com/s3-seal/kms';
const kms = new KMSClient({});
const keys: string[] = [];
let scratch: string;
let checker: string;

async function createKey(
  KeySpec: 'ECC_NIST_P256' | 'ECC_NIST_P384',
  KeyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT' = 'SIGN_VERIFY',
) {
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({ KeySpec, KeyUsage, Description: 'tlog checkpoint test' }),
  );
  keys.push(KeyMetadata!.KeyId!);
  return KeyMetadata!.KeyId!;
}

beforeAll(async () => {
  checker = (await buildTlogTools()).checker;
  scratch = mkdtempSync(join(tmpdir(), 'tlog-kms-'));
});

afterAll(async () => {
  for (const KeyId of keys) await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('KMS note signer', () => {
  it('signs a checkpoint that the TypeScript and Go verifiers accept', async () => {
    const signer = await KmsNoteSigner.create(kms, await createKey('ECC_NIST_P256'), origin);
    expect(signer.keyId).toBe(ecdsaKeyId(signer.publicKeyDer));
    const vkey = formatVerifierKey(origin, signer.publicKeyDer);

    const store = new MemoryTileStore();
    const entries = Array.from({ length: 300 }, (_, i) => new TextEncoder().encode(`chunk ${i}`));
    const build = await buildTiles(store, 0, entries);
    for (const { path, bytes } of build.writes) await store.write(path, bytes);
    const note = await signCheckpoint({ origin, size: build.size, rootHash: build.rootHash }, [signer]);
    expect(parseNote(note).signatures[0]!.signature[0]).toBe(0x30); // KMS returns a DER signature

    expect(openCheckpoint(note, [parseVerifierKey(vkey)], origin)).toMatchObject({
      size: 300,
      rootHash: build.rootHash,
    });

    const dir = join(scratch, 'log');
    await writeLogDirectory(dir, store, note);
    const vkeyFile = join(scratch, 'vkey');
    writeFileSync(vkeyFile, vkey);
    const run = await runTool(checker, ['log', '--dir', dir, '--vkey-file', vkeyFile]);
    expect(run.output).toBe(
      `ok log ${origin} size 300 root ${Buffer.from(build.rootHash).toString('base64')}\n`,
    );

    // Another KMS key under the same name does not pass for the log's key.
    const other = await KmsNoteSigner.create(kms, await createKey('ECC_NIST_P256'), origin);
    const forged = await signCheckpoint({ origin, size: build.size, rootHash: build.rootHash }, [other]);
    expect(() => openCheckpoint(forged, [parseVerifierKey(vkey)], origin)).toThrow(
      /no signature from a trusted key/,
    );
  });

  it('refuses a key that is not an ECC_NIST_P256 signing key', async () => {
    await expect(KmsNoteSigner.create(kms, await createKey('ECC_NIST_P384'), origin)).rejects.toThrow(
      NoteKeyError,
    );
  });
});
