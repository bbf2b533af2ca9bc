import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Independent Go tools that check the transparency log library (shared/tlog/): the tlog-check
 * program in test/interop/tlog-go (golang.org/x/mod/sumdb/tlog and transparency-dev/formats, pinned
 * by its go.sum) and tessera's fsck command at v1.0.4 (`go install`, checked against the Go checksum
 * database). Both come from the Go module proxy, are built once, and are cached under .stack/bin
 * (ignored by git), keyed by their source and the Go version.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const checkerDir = join(repoRoot, 'test/interop/tlog-go');
const checkerFiles = ['go.mod', 'go.sum', 'main.go', 'proof.go'];
const binDir = join(repoRoot, '.stack/bin');
/** The fsck issue 23 names; `go install` verifies the module against sum.golang.org. */
export const FSCK_MODULE = 'github.com/transparency-dev/tessera/cmd/fsck@v1.0.4';
// A cold build downloads about 35 modules and compiles them: about 20 s on an idle 2-core machine.
const buildTimeoutMs = 420_000;

const exec = promisify(execFile);
const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GOTOOLCHAIN: 'local' });

async function goVersion(): Promise<string> {
  try {
    return (await exec('go', ['env', 'GOVERSION'], { env: goEnv() })).stdout.trim();
  } catch (error) {
    throw new Error(
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'The transparency log interop test needs Go (1.24 or newer) on PATH to build its independent ' +
            'checkers (x/mod/sumdb/tlog, tessera fsck); `go` was not found. This test is never skipped.'
        : `could not run \`go env GOVERSION\`: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Runs `build(partialPath)` unless `target` exists; renames into place so a killed build never looks done. */
async function buildOnce(target: string, what: string, build: (output: string) => Promise<unknown>) {
  if (existsSync(target)) return target;
  await mkdir(binDir, { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  try {
    await build(partial);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    const { stderr, killed } = error as { stderr?: string; killed?: boolean };
    throw new Error(
      `Building ${what} failed${killed ? ` (timed out after ${buildTimeoutMs / 1000} s)` : ''}; it downloads ` +
        `modules through the Go module proxy (GOPROXY): check network access.\n${stderr ?? (error as Error).message}`,
      { cause: error },
    );
  }
  return target;
}

const options = (cwd: string) => ({
  cwd,
  env: goEnv(),
  timeout: buildTimeoutMs,
  killSignal: 'SIGKILL' as const,
  maxBuffer: 16 * 1024 * 1024,
});

async function build(): Promise<{ checker: string; fsck: string }> {
  const version = await goVersion();
  const hash = createHash('sha256').update(version);
  for (const file of checkerFiles) hash.update(file).update(await readFile(join(checkerDir, file)));
  const checker = await buildOnce(
    join(binDir, `tlog-check-${hash.digest('hex').slice(0, 16)}`),
    `the tlog checker (${checkerDir}) with ${version}`,
    (output) =>
      exec(
        'go',
        ['build', '-mod=readonly', '-buildvcs=false', '-trimpath', '-o', output, '.'],
        options(checkerDir),
      ),
  );
  const fsckKey = createHash('sha256').update(version).update(FSCK_MODULE).digest('hex').slice(0, 16);
  const fsck = await buildOnce(
    join(binDir, `fsck-${fsckKey}`),
    `${FSCK_MODULE} with ${version}`,
    async (output) => {
      // `go install` writes bin/fsck under GOBIN: install into a private directory, then move.
      const gobin = `${output}.d`;
      try {
        await exec('go', ['install', '-trimpath', FSCK_MODULE], {
          ...options(repoRoot),
          env: { ...goEnv(), GOBIN: gobin },
        });
        await rename(join(gobin, 'fsck'), output);
      } finally {
        await rm(gobin, { recursive: true, force: true });
      }
    },
  );
  return { checker, fsck };
}

let built: Promise<{ checker: string; fsck: string }> | undefined;

/**
 * Builds both tools once per process (and once per source or Go change across processes). Throws a
 * clear error when Go is missing or a download fails: the interop test fails loudly, never skips.
 */
export function buildTlogTools(): Promise<{ checker: string; fsck: string }> {
  built ??= build();
  return built;
}
