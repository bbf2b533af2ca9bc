import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Vitest global setup for the projects that run the CLI as users do (bin/s3-seal.js, which loads
 * the compiled dist/): rebuild dist/ when any source is newer than the last build, so a test never
 * runs stale code, even when one file is run on its own without `npm test`.
 */
const SOURCES = ['cli', 'shared', 'functions'];
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];
const STAMP = 'dist/.tsbuildinfo';

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
  const newest = Math.max(...[...SOURCES, ...CONFIGS].map(newestSource));
  if (newest <= builtAt()) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  // tsc leaves its build info alone when nothing it emits changed: mark the build as current.
  const now = new Date();
  utimesSync(STAMP, now, now);
}
