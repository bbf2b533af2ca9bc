import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertWritableTarget } from '../../../cli/output-file.js';

describe('assertWritableTarget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'output-file-'));

  it('accepts a new or existing file in an existing directory', async () => {
    await expect(assertWritableTarget(join(dir, 'new.csv'))).resolves.toBeUndefined();
    writeFileSync(join(dir, 'old.csv'), 'x');
    await expect(assertWritableTarget(join(dir, 'old.csv'))).resolves.toBeUndefined();
  });

  it('names the path the user gave when its directory is missing or it is a directory', async () => {
    const missing = join(dir, 'nope', 'x.csv');
    await expect(assertWritableTarget(missing)).rejects.toThrow(`cannot write ${missing}: no directory`);
    await expect(assertWritableTarget(dir)).rejects.toThrow(`cannot write ${dir}: it is a directory`);
  });
});
