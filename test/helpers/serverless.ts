import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

const SERVICE_DIR = resolve(import.meta.dirname, '../..');

/** Package and bundle directories a test file made: removed after it (a few MB each). */
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
const OSLS = join(SERVICE_DIR, 'node_modules/.bin/serverless');

/**
 * An environment with no way to reach AWS: no credentials from variables, profiles or files, and
 * every HTTP(S) request sent to a closed port. Packaging must not need any of it.
 */
function offlineEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') || name === 'S3SEAL_DEPLOY_CONFIG') delete env[name];
  }
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_EC2_METADATA_DISABLED: 'true',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    http_proxy: 'http://127.0.0.1:9',
    https_proxy: 'http://127.0.0.1:9',
    NO_PROXY: '',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    ...extra,
  };
}

export interface OslsRun {
  status: number | null;
  output: string;
  /** Where `package` wrote the template and the zips. */
  packageDir: string;
}

/** Runs `serverless <command> … --package <fresh dir>` from the project root, offline. */
export function runOsls(command: string, args: string[], env: Record<string, string> = {}): OslsRun {
  const packageDir = scratchDir('s3-seal-package-');
  const result = spawnSync(
    OSLS,
    [command, ...args, ...(command === 'package' ? ['--package', packageDir] : [])],
    {
      cwd: SERVICE_DIR,
      encoding: 'utf8',
      env: offlineEnv(env),
      timeout: 120_000,
      killSignal: 'SIGKILL',
    },
  );
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, packageDir };
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, walked by the assertions
export type Json = any;

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Json; [key: string]: Json }>;
  Outputs?: Record<string, unknown>;
}

export function readTemplate(packageDir: string): Template {
  return JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'));
}

/** Resources of one CloudFormation type, by logical id. */
export function resourcesOfType(template: Template, type: string) {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** Names of the entries in a zip archive (Python's zipfile: present wherever LocalStack runs). */
export function zipEntries(path: string): string[] {
  const result = spawnSync(
    'python3',
    ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', path],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (result.status !== 0) throw new Error(`cannot list ${path}: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean);
}

/** Unpacks a function's zip as Lambda would, and returns the directory. */
export function extractZip(path: string): string {
  const dir = scratchDir('s3-seal-bundle-');
  const result = spawnSync(
    'python3',
    ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', path, dir],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (result.status !== 0) throw new Error(`cannot unpack ${path}: ${result.stderr}`);
  return dir;
}
