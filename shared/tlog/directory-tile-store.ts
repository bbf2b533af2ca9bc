import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TlogError } from './errors.js';
import type { TileStore } from './tile-store.js';

/**
 * A TileStore over a local directory in the tlog-tiles layout: how an auditor checks a log after
 * syncing its S3 prefix, and how the interop tests hand a log to Go tools.
 */
export class DirectoryTileStore implements TileStore {
  constructor(readonly root: string) {}

  private file(path: string): string {
    if (path.split('/').some((part) => part === '..' || part === ''))
      throw new TlogError(`bad log path ${path}`);
    return join(this.root, path);
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.file(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async write(path: string, bytes: Uint8Array): Promise<void> {
    await mkdir(dirname(this.file(path)), { recursive: true });
    await writeFile(this.file(path), bytes);
  }
}
