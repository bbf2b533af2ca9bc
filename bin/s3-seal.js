#!/usr/bin/env node
// Starts the compiled CLI: dist/, built from the TypeScript sources by `npm run build`, which
// `npm ci`, `npm pack` and `npm test` run first. Lambda bundles are built separately from the
// sources (serverless.yml, esbuild). During development, `npm run seal -- …` runs the sources.
import module from 'node:module';

// Node 22.1+ (the Lambda runtime's Node 24 too) keeps compiled modules on disk between runs, so a
// command starts faster the second time; older Nodes have no such cache and skip this.
module.enableCompileCache?.();
const main = new URL('../dist/cli/main.js', import.meta.url);
try {
  await import(main.href);
} catch (error) {
  // A source checkout that was never built: say how to build it rather than print a module trace.
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('s3-seal: error: the CLI is not built (no dist/cli/main.js); run `npm run build`');
    process.exit(1);
  }
  throw error;
}
