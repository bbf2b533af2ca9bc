'use strict';
/**
 * The bridge serverless.yml resolves `${file(deploy/serverless-config.cjs)}` through. osls loads
 * variable files with require(), so this stays CommonJS; it loads the TypeScript that validates
 * the stage's config (deploy/serverless-values.ts) with tsx. A bad config throws here, which
 * aborts `serverless package` and `deploy` before anything is built, with the field named.
 */
const path = require('node:path');

const serviceDir = path.resolve(__dirname, '..');
const cache = new Map();

async function load(resolveVariable) {
  const [service, stage, region] = await Promise.all([
    resolveVariable('self:service'),
    resolveVariable('self:provider.stage'),
    resolveVariable('self:provider.region'),
  ]);
  const configPath = process.env.S3SEAL_DEPLOY_CONFIG;
  const key = JSON.stringify([service, stage, region, configPath]);
  if (!cache.has(key)) {
    // tsx's ESM entry: its CommonJS build of the same API fails to register on Node 20.
    const values = import('tsx/esm/api')
      .then(({ tsImport }) => tsImport('./serverless-values.ts', __filename))
      .then((module) => module.serverlessValues({ serviceDir, service, stage, region, configPath }));
    cache.set(key, values);
  }
  try {
    return await cache.get(key);
  } catch (error) {
    // A config error is the operator's to fix: show its message, not a stack trace.
    if (error && error.name === 'ConfigError') error.stack = `${error.name}: ${error.message}`;
    throw error;
  }
}

module.exports = ({ resolveVariable }) => load(resolveVariable);
