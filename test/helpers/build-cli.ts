import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Vitest global setup for the projects that run the CLI as users do (bin/s3-seal.js, which loads
 * the bundle in dist/cli/): rebuild it when any source, the build script or the lockfile is newer
 * than the last build, so a test never runs stale code, even when one file is run on its own
 * without `npm test`.
 */
const SOURCES = ['cli', 'shared', 'functions'];
const INPUTS = ['scripts/build-cli.mjs', 'package-lock.json', 'tsconfig.json'];
/** Written last by scripts/build-cli.mjs. */
const STAMP = 'dist/cli-meta.json';

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.ts') || path.endsWith('.json') ? stat.mtimeMs : 0;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

function builtAt(): number {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return 0;
  }
}

export default function buildCli(): void {
  const newest = Math.max(...SOURCES.map(newestSource), ...INPUTS.map((path) => statSync(path).mtimeMs));
  if (newest <= builtAt()) return;
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
}
