import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../shared/errors.js';
import {
  loadSseCustomerKeyFile,
  parseSseCustomerKey,
  SseCustomerKey,
} from '../../../../shared/s3/sse-c-key.js';

const dir = mkdtempSync(join(tmpdir(), 's3seal-ssec-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');

describe('parseSseCustomerKey', () => {
  const bytes = randomBytes(32);

  it('takes the 32 raw bytes as they are', () => {
    expect(parseSseCustomerKey(bytes).params().SSECustomerKey).toBe(bytes.toString('base64'));
  });

  it('takes base64 with surrounding whitespace, in the standard or URL-safe alphabet', () => {
    for (const text of [
      `${bytes.toString('base64')}\n`,
      `  ${bytes.toString('base64')}\r\n`,
      bytes.toString('base64url'),
    ]) {
      expect(parseSseCustomerKey(Buffer.from(text)).params().SSECustomerKey).toBe(bytes.toString('base64'));
    }
  });

  it('names the S3 fingerprint: the base64 MD5 of the key bytes', () => {
    const key = parseSseCustomerKey(bytes);
    expect(key.md5).toBe(md5(bytes));
    expect(key.params().SSECustomerKeyMD5).toBe(md5(bytes));
    expect(key.copySourceParams()).toEqual({
      CopySourceSSECustomerAlgorithm: 'AES256',
      CopySourceSSECustomerKey: bytes.toString('base64'),
      CopySourceSSECustomerKeyMD5: md5(bytes),
    });
  });

  it.each([
    ['31 raw bytes', randomBytes(31)],
    ['33 raw bytes', randomBytes(33)],
    ['base64 of a 16-byte key', Buffer.from(randomBytes(16).toString('base64'))],
    ['hex of a 32-byte key', Buffer.from(randomBytes(32).toString('hex'))],
    ['an empty file', Buffer.alloc(0)],
  ])('refuses %s with a clear error', (_label, content) => {
    expect(() => parseSseCustomerKey(content)).toThrow(ConfigError);
    expect(() => parseSseCustomerKey(content)).toThrow(/32-byte AES-256 key, raw or base64/);
  });
});

describe('SseCustomerKey', () => {
  it('never shows the key in JSON or util.inspect, only its fingerprint', () => {
    const bytes = randomBytes(32);
    const key = new SseCustomerKey(bytes);
    for (const shown of [JSON.stringify({ key }), inspect({ key }), String(inspect(key))]) {
      expect(shown).not.toContain(bytes.toString('base64'));
      expect(shown).not.toContain(bytes.toString('hex'));
      expect(shown).toContain(key.md5);
    }
  });

  it('zeroes its bytes on destroy, and keeps its own copy of the input', () => {
    const bytes = randomBytes(32);
    const key = new SseCustomerKey(bytes);
    bytes.fill(7);
    expect(key.params().SSECustomerKey).not.toBe(bytes.toString('base64'));
    key.destroy();
    expect(key.params().SSECustomerKey).toBe(Buffer.alloc(32).toString('base64'));
  });
});

describe('loadSseCustomerKeyFile', () => {
  it('loads a key file', async () => {
    const bytes = randomBytes(32);
    const file = join(dir, 'k');
    writeFileSync(file, bytes.toString('base64'));
    expect((await loadSseCustomerKeyFile(file)).md5).toBe(md5(bytes));
  });

  it('names a file it cannot read', async () => {
    await expect(loadSseCustomerKeyFile(join(dir, 'missing'))).rejects.toThrow(
      /cannot read the SSE-C key file .*missing/,
    );
  });

  it('names the file whose content is not a key, without echoing the content', async () => {
    const file = join(dir, 'bad');
    writeFileSync(file, 'not-a-key-but-secret-looking');
    const error = await loadSseCustomerKeyFile(file).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).not.toContain('secret-looking');
  });
});
