// Builds the CLI users run: bin/s3-seal.js loads dist/cli/main.js. esbuild bundles the sources and
// their dependencies into a few files (`npm run build`, which `npm ci`, `npm pack` and `npm test`
// run first). Why a bundle: Node 20 spends about half a second resolving and loading the ~1,000
// modules the SDK and the handlers are made of, on every command; the bundle loads in under 0.2 s
// (bench/RESULTS.md, twelfth session). Lambda bundles are built separately (serverless.yml).
//
// Each command stays lazy (cli/program.ts imports its implementation only when it runs): code
// splitting puts it in its own file, so `--help` loads no SDK. The metafile beside dist/cli/ (not
// in the package) says which sources each output file holds; test/deploy/cli-package.test.ts uses
// it to check that.
import { rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const CLI_OUT = 'dist/cli';
const CLI_METAFILE = 'dist/cli-meta.json';

rmSync('dist', { recursive: true, force: true });
const result = await build({
  entryPoints: { main: 'cli/main.ts' },
  outdir: CLI_OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20', // package.json engines
  mainFields: ['module', 'main'], // the ESM builds of dependencies: smaller, and faster to load
  metafile: true,
  logLevel: 'warning',
  // ESM has no `require`; some bundled CommonJS dependencies still call it for Node's modules.
  banner: {
    js: "import { createRequire as s3sealCreateRequire } from 'node:module'; const require = s3sealCreateRequire(import.meta.url);",
  },
});
writeFileSync(CLI_METAFILE, JSON.stringify(result.metafile));
