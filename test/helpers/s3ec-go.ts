import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The interop checker: a small Go program on the official Amazon S3 Encryption Client for Go
 * (test/interop/s3ec-go). Its go.mod pins the client's v4 and v3 modules; go.sum pins their hashes,
 * so a fresh clone downloads them through the Go module proxy and verifies them offline.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sourceDir = join(repoRoot, 'test/interop/s3ec-go');
const sourceFiles = ['go.mod', 'go.sum', 'main.go'];
// Under .stack/ (ignored by git), beside the local stack's own state.
const binDir = join(repoRoot, '.stack/bin');
// A cold build downloads about 20 modules (16 MB, seconds) and compiles the AWS SDK for Go: about 70 s
// of CPU, so under a minute on an idle 2-core machine, several on a loaded one.
const buildTimeoutMs = 420_000;

const exec = promisify(execFile);
let built: Promise<string> | undefined;
let binaryPath: string | undefined;

/** A Go toolchain must never be fetched behind the test's back: use the installed one or fail. */
function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local' };
}

async function goVersion(): Promise<string> {
  try {
    return (await exec('go', ['env', 'GOVERSION'], { env: goEnv() })).stdout.trim();
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'The S3EC interop test needs Go (1.24 or newer) on PATH to build its checker on the official ' +
            'Amazon S3 Encryption Client for Go; `go` was not found. Install Go; this test is never skipped.'
        : `The S3EC interop test could not run \`go env GOVERSION\`: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function build(): Promise<string> {
  const version = await goVersion();
  // Rebuild only when the checker's source, its pinned modules or the Go toolchain change.
  const hash = createHash('sha256').update(version);
  for (const file of sourceFiles) hash.update(file).update(await readFile(join(sourceDir, file)));
  const target = join(binDir, `s3ec-check-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(target)) return target;

  await mkdir(binDir, { recursive: true });
  // Build beside the target and rename: a build killed half way never leaves a binary that looks done.
  const partial = `${target}.${process.pid}.partial`;
  try {
    await exec('go', ['build', '-mod=readonly', '-buildvcs=false', '-trimpath', '-o', partial, '.'], {
      cwd: sourceDir,
      env: goEnv(),
      timeout: buildTimeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
    });
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    const { stderr, killed } = error as { stderr?: string; killed?: boolean };
    throw new Error(
      `Building the S3EC interop checker (${sourceDir}) with ${version} failed` +
        (killed ? ` (timed out after ${buildTimeoutMs / 1000} s)` : '') +
        '. It downloads github.com/aws/amazon-s3-encryption-client-go through the Go module proxy ' +
        `(GOPROXY); check network access to it.\n${stderr ?? (error as Error).message}`,
      { cause: error },
    );
  }
  return target;
}

/**
 * Builds the checker once per process (and once per source change across processes) and returns the
 * binary's path. Throws with a clear message when Go is missing or the build or module download
 * fails: the interop test must fail loudly, never skip.
 */
export async function buildS3ecChecker(): Promise<string> {
  built ??= build().then((path) => {
    binaryPath = path;
    return path;
  });
  return built;
}

/**
 * Runs the built checker with the test process's environment (the local stack's endpoints and
 * credentials). A hung run is killed and reports status null, which fails any exit-code assertion.
 */
export function runS3ecChecker(args: string[], timeoutMs = 60_000) {
  if (!binaryPath) throw new Error('runS3ecChecker: await buildS3ecChecker() first (in beforeAll)');
  const result = spawnSync(binaryPath, args, {
    encoding: 'utf8',
    env: process.env,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Formats the official clients write: V3 by the v4 module's defaults, V2 by the v3 module's. */
export type S3ecFormat = 'v3' | 'v2';
/** The v4 client's commitment policies; require-require is its default and reads only V3. */
export type CommitmentPolicyName = 'require-require' | 'require-allow' | 'forbid-allow';

let scratch: string | undefined;
function scratchFile(name: string): string {
  scratch ??= mkdtempSync(join(tmpdir(), 's3ec-check-'));
  return join(scratch, `${name}-${randomUUID()}`);
}

/** `--flag NAME=VALUE` for each pair. */
function pairArgs(flag: string, pairs: Record<string, string> = {}): string[] {
  return Object.entries(pairs).flatMap(([name, value]) => [flag, `${name}=${value}`]);
}

/**
 * Writes `bytes` with the official client (throws with its error on failure); `context` is the
 * client's encryption context, which binds the data key besides its own aws:x-amz-cek-alg pair.
 */
export function officialPut(put: {
  format: S3ecFormat;
  bucket: string;
  key: string;
  kmsKey: string;
  bytes: Uint8Array;
  metadata?: Record<string, string>;
  context?: Record<string, string>;
}): void {
  const input = scratchFile('in');
  writeFileSync(input, put.bytes);
  try {
    const { status, stderr } = runS3ecChecker([
      'put',
      ...['--format', put.format, '--bucket', put.bucket, '--key', put.key],
      ...['--kms-key', put.kmsKey, '--in', input],
      ...pairArgs('--meta', put.metadata),
      ...pairArgs('--context', put.context),
    ]);
    if (status !== 0) throw new Error(`official ${put.format} put of ${put.key} failed: ${stderr}`);
  } finally {
    rmSync(input, { force: true });
  }
}

/**
 * Reads an object with the official v4 client under a commitment policy (its default unless
 * given), unwrapping under `kmsKey` only when one is named; with `context`, the client requires the
 * object's stored context to be exactly that (besides its own pair). `bytes` is set only on success.
 */
export function officialGet(get: {
  bucket: string;
  key: string;
  policy?: CommitmentPolicyName;
  kmsKey?: string;
  context?: Record<string, string>;
}): { status: number | null; stderr: string; bytes?: Buffer } {
  const output = scratchFile('out');
  try {
    const { status, stderr } = runS3ecChecker([
      'get',
      ...['--bucket', get.bucket, '--key', get.key, '--out', output],
      ...(get.policy ? ['--policy', get.policy] : []),
      ...(get.kmsKey ? ['--kms-key', get.kmsKey] : []),
      ...pairArgs('--context', get.context),
    ]);
    return status === 0 ? { status, stderr, bytes: readFileSync(output) } : { status, stderr };
  } finally {
    rmSync(output, { force: true });
  }
}
