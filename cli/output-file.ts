import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../shared/errors.js';

/**
 * Refuses an output file the command could not write, before it reads or writes anything else:
 * its directory must exist, and the path must not be a directory. Names the path the user gave,
 * never a temporary file of ours.
 */
export async function assertWritableTarget(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new ConfigError(`cannot write ${path}: no directory ${dir}`);
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new ConfigError(`cannot write ${path}: it is a directory`);
}
