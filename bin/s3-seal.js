#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx s3-seal` works right after `npm ci` with no
// build step. Lambda bundles are built separately (serverless.yml, esbuild).
import { register } from 'tsx/esm/api';

// The AWS SDK warns at every start that its 2027 releases will need Node 22. Lambda runs 22 and
// the CLI supports 20 until then: keep that one notice out of every command's output.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'object' ? rest[0]?.type : rest[0];
  if (type === 'NodeVersionSupportWarning' || String(warning).includes('NodeVersionSupportWarning')) return;
  emitWarning.call(process, warning, ...rest);
};

register();
await import('../cli/main.ts');
