#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx s3-seal` works right after `npm ci` with no
// build step. Lambda bundles are built separately (serverless.yml, esbuild).
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
