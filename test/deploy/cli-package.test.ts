import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm pack` as a release would run it (its `prepare` script builds dist/), then the tarball
 * installed into an empty directory the way npm lays it out: the package under
 * node_modules/s3-seal, its `bin` linked into node_modules/.bin, and exactly the dependencies its
 * package.json declares beside it. The dependencies are linked from this checkout's node_modules
 * (installed by `npm ci`) rather than downloaded, so the test needs no registry and no network; a
 * dependency the package uses but does not declare (or one only development installs have, such
 * as tsx) is then missing and fails the test, as it would for a user.
 */
const REPO = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 's3seal-pack-'));
const home = join(scratch, 'home');
const pkg = join(home, 'node_modules/s3-seal');
const bin = join(home, 'node_modules/.bin/s3-seal');
let tarball: string;
let files: string[];

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(() => {
  const out = join(scratch, 'out');
  mkdirSync(out);
  execFileSync('npm', ['pack', '--pack-destination', out], { cwd: REPO, stdio: 'ignore' });
  tarball = join(out, readdirSync(out).find((name) => name.endsWith('.tgz'))!);
  files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');

  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  for (const name of Object.keys(manifest.dependencies)) {
    const target = join(home, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', name), target, 'dir');
  }
  mkdirSync(dirname(bin), { recursive: true });
  symlinkSync('../s3-seal/bin/s3-seal.js', bin);
});

/** Runs the installed command from the otherwise empty directory, with no AWS endpoint set. */
function s3seal(args: string[], nodeOptions: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: '' };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  return spawnSync(process.execPath, [...nodeOptions, bin, ...args], {
    cwd: home,
    encoding: 'utf8',
    env: {
      ...env,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    },
  });
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsFiles(path) : path.endsWith('.js') ? [path] : [];
  });
}

describe('the npm package', () => {
  it('carries the compiled CLI and what it runs, not sources, tests or build state', () => {
    expect(files).toContain('package/bin/s3-seal.js');
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/dist/functions/encrypt/handler.js');
    expect(files).toContain('package/package.json');
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(files.filter((f) => /^package\/(test|bench|localstack|deploy|\.stack)\//.test(f))).toEqual([]);
    expect(files).not.toContain('package/dist/.tsbuildinfo');
  });

  it('declares every package its code imports, and tsx is not among them', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const declared = new Set(Object.keys(manifest.dependencies));
    const imported = new Set<string>();
    for (const file of [...jsFiles(join(pkg, 'dist')), join(pkg, 'bin/s3-seal.js')]) {
      for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (fileName.startsWith('.') || fileName.startsWith('node:') || builtinModules.includes(fileName))
          continue;
        const parts = fileName.split('/');
        imported.add(fileName.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
    expect([...imported].filter((name) => !declared.has(name))).toEqual([]);
    expect(imported.has('@aws-sdk/client-s3')).toBe(true);
    expect(declared.has('tsx')).toBe(false);
  });

  it('installs into an empty directory and runs: --help, --version, a command, a refused option', () => {
    const help = s3seal(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: s3-seal [options] [command]');
    expect(help.stdout).toMatch(/encrypt \[options\] \[s3-uris\.\.\.\]/);
    const version = s3seal(['--version']);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version);
    expect(s3seal(['encrypt', '--help']).stdout).toContain('--pollers <n>');
    const refused = s3seal(['worker', '--concurrency', 'abc']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("option '--concurrency <n>' argument 'abc' is invalid");
    // A command that loads its implementation and the SDK, then fails on the closed endpoint.
    const status = s3seal(['status']);
    expect(status.status).toBe(1);
    expect(status.stderr).toMatch(/^s3-seal: error: .*ECONNREFUSED/m);
  });

  it('loads every compiled module with only the declared dependencies', () => {
    // Every module but the entry point, which would run the CLI.
    const modules = jsFiles(join(pkg, 'dist'))
      .filter((file) => !file.endsWith('/dist/cli/main.js'))
      .map((file) => `file://${file}`);
    const out = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `for (const m of ${JSON.stringify(modules)}) await import(m);`],
      { cwd: home, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } },
    );
    expect(out.status, out.stderr).toBe(0);
    expect(modules.length).toBeGreaterThan(50);
  });

  it('answers --help and --version without loading the AWS SDK (the start-up cost of every command)', () => {
    const log = join(scratch, 'resolved.log');
    const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}`;
    const probe = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const loaded = (args: string[]) => {
      rmSync(log, { force: true });
      const out = s3seal(args, ['--import', `data:text/javascript,${encodeURIComponent(probe)}`]);
      return { out, urls: readFileSync(log, 'utf8') };
    };
    for (const args of [['--help'], ['--version'], ['encrypt', '--help'], ['audit', 'export', '--help']]) {
      const { out, urls } = loaded(args);
      expect(out.status, out.stderr).toBe(0);
      expect(urls, args.join(' ')).toContain('/dist/cli/program.js');
      expect(urls, args.join(' ')).not.toContain('@aws-sdk');
    }
    // The probe sees the SDK when a command does load it.
    expect(loaded(['status']).urls).toContain('@aws-sdk/client-dynamodb');
  });
});
