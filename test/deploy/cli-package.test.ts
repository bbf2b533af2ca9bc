import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm pack` as a release would run it (its `prepare` script builds the bundle in dist/cli/), then
 * the tarball unpacked into an empty directory the way npm lays it out: the package under
 * node_modules/s3-seal and its `bin` linked into node_modules/.bin, with no other package beside
 * it. The bundle carries its dependencies (scripts/build-cli.mjs), so the command must run so; the
 * test needs no registry and no network.
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

/** What scripts/build-cli.mjs bundled into each file of dist/cli/ (esbuild's metafile). */
interface BundleMeta {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}
const meta = (): BundleMeta => JSON.parse(readFileSync(join(REPO, 'dist/cli-meta.json'), 'utf8'));

/** The package a source file path from the metafile belongs to, or undefined for our own sources. */
function packageOf(input: string): string | undefined {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

describe('the npm package', () => {
  it('carries the bundled CLI, not sources, tests or build state', () => {
    expect(files).toContain('package/bin/s3-seal.js');
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/package.json');
    expect(files).toContain('package/README.md');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(files.filter((f) => /^package\/(test|bench|localstack|deploy|scripts|\.stack)\//.test(f))).toEqual(
      [],
    );
    expect(files.filter((f) => f.startsWith('package/dist/') && !f.startsWith('package/dist/cli/'))).toEqual(
      [],
    );
  });

  it('bundles only runtime dependencies, and imports nothing but Node and its own files', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    const declared = new Set(Object.keys(manifest.dependencies));
    // npm marks a package that only development dependencies lead to `dev: true` in the lockfile.
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const bundled = new Set(
      Object.values(meta().outputs).flatMap((output) =>
        Object.keys(output.inputs).flatMap((input) => packageOf(input) ?? []),
      ),
    );
    const runtime = (name: string) =>
      Object.entries(lock.packages).some(
        ([path, entry]) =>
          (path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`)) && !entry.dev,
      );
    expect([...bundled].filter((name) => !runtime(name))).toEqual([]);
    expect(bundled.has('@aws-sdk/client-s3')).toBe(true);
    expect([...declared].filter((name) => !bundled.has(name))).toEqual([]);
    expect(declared.has('tsx')).toBe(false);

    const imported = new Set<string>();
    for (const file of [...jsFiles(join(pkg, 'dist')), join(pkg, 'bin/s3-seal.js')]) {
      for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
        if (fileName.startsWith('.') || fileName.startsWith('node:') || builtinModules.includes(fileName))
          continue;
        imported.add(fileName);
      }
    }
    expect([...imported]).toEqual([]);
  });

  it('keeps the names of its error classes (error.name comes from the class, shared/errors.ts)', () => {
    // esbuild renames a top-level class whose name another bundled module also uses (Foo -> Foo2).
    const renamed = jsFiles(join(pkg, 'dist')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/class (\w+?Error)\d+ extends/g)].map((m) => m[0]),
    );
    expect(renamed).toEqual([]);
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

  it('loads every file of the bundle with no dependency installed', () => {
    // Every file but the entry point, which would run the CLI.
    const modules = jsFiles(join(pkg, 'dist'))
      .filter((file) => !file.endsWith('/dist/cli/main.js'))
      .map((file) => `file://${file}`);
    const out = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `for (const m of ${JSON.stringify(modules)}) await import(m);`],
      { cwd: home, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } },
    );
    expect(out.status, out.stderr).toBe(0);
    expect(modules.length).toBeGreaterThan(10);
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
    // The packages bundled into the files a command loaded (bundle file names are content hashes,
    // so the package's files are the checkout's dist/cli/ files of the same name).
    const outputs = meta().outputs;
    const loaded = (args: string[]) => {
      rmSync(log, { force: true });
      const out = s3seal(args, ['--import', `data:text/javascript,${encodeURIComponent(probe)}`]);
      const files = readFileSync(log, 'utf8')
        .split('\n')
        .filter((url) => url.includes('/dist/cli/'))
        .map((url) => `dist/cli/${url.slice(url.lastIndexOf('/') + 1)}`);
      const packages = new Set(
        files.flatMap((file) => Object.keys(outputs[file]?.inputs ?? {}).flatMap((i) => packageOf(i) ?? [])),
      );
      return { out, files, packages };
    };
    for (const args of [['--help'], ['--version'], ['encrypt', '--help'], ['audit', 'export', '--help']]) {
      const { out, files, packages } = loaded(args);
      expect(out.status, out.stderr).toBe(0);
      expect(files, args.join(' ')).toContain('dist/cli/main.js');
      expect(packages, args.join(' ')).toContain('commander');
      expect(
        [...packages].filter((name) => name.startsWith('@aws-sdk/')),
        args.join(' '),
      ).toEqual([]);
    }
    // The probe sees the SDK when a command does load it.
    expect(loaded(['status']).packages).toContain('@aws-sdk/client-dynamodb');
  });
});
