import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, parseCheckpoint } from '../../../../shared/tlog/checkpoint.js';
import { NoteKeyError, TlogFormatError, TlogVerificationError } from '../../../../shared/tlog/errors.js';
import { LocalNoteSigner } from '../../../../shared/tlog/note-signer.js';
import { openCheckpoint, signCheckpoint } from '../../../../shared/tlog/signed-checkpoint.js';
import { openNote, parseNote, signNote } from '../../../../shared/tlog/signed-note.js';
import { formatVerifierKey, parseVerifierKey } from '../../../../shared/tlog/verifier-key.js';

const origin = 'example.com/s3-seal/audit';
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const signer = new LocalNoteSigner(origin, p256());
const vkey = formatVerifierKey(signer.name, signer.publicKeyDer);
const root = new Uint8Array(32).fill(7);

describe('checkpoints', () => {
  it('formats the three lines of tlog-checkpoint and parses them back', () => {
    const text = formatCheckpoint({ origin, size: 20852163, rootHash: root });
    expect(text).toBe(`${origin}\n20852163\n${Buffer.from(root).toString('base64')}\n`);
    expect(parseCheckpoint(text)).toEqual({ origin, size: 20852163, rootHash: root, extensions: [] });
    expect(parseCheckpoint(`${text}ext one\n`).extensions).toEqual(['ext one']);
  });

  it('rejects a size with leading zeroes, a bad root or a missing final newline', () => {
    const b64 = Buffer.from(root).toString('base64');
    expect(() => parseCheckpoint(`${origin}\n012\n${b64}\n`)).toThrow(TlogFormatError);
    expect(() => parseCheckpoint(`${origin}\n12\n${b64.slice(4)}\n`)).toThrow(TlogFormatError);
    expect(() => parseCheckpoint(`${origin}\n12\n${b64}`)).toThrow(TlogFormatError);
    expect(() => parseCheckpoint(`${origin}\n12\n${b64}\n\n`)).toThrow(TlogFormatError);
  });
});

describe('signed notes with ECDSA P-256 keys (type 0x02)', () => {
  it('names the key by SHA-256 of its DER SubjectPublicKeyInfo and writes the verifier key string', () => {
    const expectedId = createHash('sha256').update(signer.publicKeyDer).digest().readUInt32BE(0);
    expect(signer.keyId).toBe(expectedId);
    const material = Buffer.concat([Buffer.of(2), signer.publicKeyDer]).toString('base64');
    expect(vkey).toBe(`${origin}+${expectedId.toString(16).padStart(8, '0')}+${material}`);
    expect(parseVerifierKey(vkey).keyId).toBe(expectedId);
  });

  it('signs a note with a signature line of key ID and DER signature, and opens it', async () => {
    const note = await signNote('hello\n', [signer]);
    expect(note).toMatch(/^hello\n\n\u2014 example\.com\/s3-seal\/audit [A-Za-z0-9+/=]+\n$/u);
    const [line] = parseNote(note).signatures;
    expect(line!.keyId).toBe(signer.keyId);
    expect(line!.signature[0]).toBe(0x30); // a DER SEQUENCE
    expect(openNote(note, [parseVerifierKey(vkey)])).toEqual({ text: 'hello\n', signedBy: [origin] });
  });

  it('rejects altered text, a failing known signature, and a note no trusted key signed', async () => {
    const verifier = parseVerifierKey(vkey);
    const note = await signNote('hello\n', [signer]);
    expect(() => openNote(note.replace('hello', 'hallo'), [verifier])).toThrow(TlogVerificationError);
    const other = new LocalNoteSigner('other.example/log', p256());
    // A signature of an unknown key is ignored, but alone it cannot open the note.
    const byOther = await signNote('hello\n', [other]);
    expect(() => openNote(byOther, [verifier])).toThrow(/no signature from a trusted key/);
    const both = await signNote('hello\n', [other, signer]);
    expect(openNote(both, [verifier]).signedBy).toEqual([origin]);
    // Same name and key ID as the trusted key, another key's signature: rejected, not ignored.
    const sig = parseNote(byOther).signatures[0]!.signature;
    const id = Buffer.alloc(4);
    id.writeUInt32BE(signer.keyId);
    const spoofed = `hello\n\n\u2014 ${origin} ${Buffer.concat([id, sig]).toString('base64')}\n`;
    expect(() => openNote(spoofed, [verifier])).toThrow(/does not verify/);
  });

  it('refuses keys that are not ECDSA P-256 and verifier keys whose ID does not match', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => new LocalNoteSigner(origin, p384)).toThrow(NoteKeyError);
    expect(() => new LocalNoteSigner('bad name', p256())).toThrow(NoteKeyError);
    const name = vkey.slice(0, vkey.indexOf('+'));
    const material = vkey.slice(vkey.indexOf('+', name.length + 1) + 1);
    expect(() => parseVerifierKey(`${name}+00000000+${material}`)).toThrow(/does not match/);
    expect(() =>
      parseVerifierKey(`${name}+${signer.keyId.toString(16).padStart(8, '0')}+AQ${material.slice(2)}`),
    ).toThrow(NoteKeyError);
  });

  it('opens a signed checkpoint only for the expected origin', async () => {
    const note = await signCheckpoint({ origin, size: 3, rootHash: root }, [signer]);
    expect(openCheckpoint(note, [parseVerifierKey(vkey)], origin)).toMatchObject({ size: 3, rootHash: root });
    expect(() => openCheckpoint(note, [parseVerifierKey(vkey)], 'example.com/other')).toThrow(
      TlogVerificationError,
    );
  });
});
