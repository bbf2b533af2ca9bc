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

/** `--param key=value` options (osls keeps them as strings), over serverless.yml `params`. */
async function stageParams(options, stage, resolveConfigurationProperty) {
  const params = {};
  const declared = (await resolveConfigurationProperty(['params'])) || {};
  Object.assign(params, declared.default || {}, declared[stage] || {});
  for (const item of [].concat(options.param || [])) {
    const match = /^([^=]+)=(.*)$/.exec(item);
    if (match) params[match[1]] = match[2].trimEnd();
  }
  for (const [name, value] of Object.entries(params)) {
    if (value == null) delete params[name];
    else params[name] = String(value);
  }
  return params;
}

/** The osls command: the first word after the executable (`package`, `deploy`, `remove`, …). */
function command() {
  return process.argv.slice(2).find((arg) => !arg.startsWith('-'));
}

async function load({ options, resolveVariable, resolveConfigurationProperty }) {
  const [service, stage, region] = await Promise.all([
    resolveVariable('self:service'),
    resolveVariable('self:provider.stage'),
    resolveVariable('self:provider.region'),
  ]);
  const params = await stageParams(options || {}, stage, resolveConfigurationProperty);
  const configPath = process.env.S3SEAL_DEPLOY_CONFIG;
  const input = { serviceDir, service, stage, region, configPath, params, command: command() };
  const key = JSON.stringify(input);
  if (!cache.has(key)) {
    // tsx's ESM entry: its CommonJS build of the same API fails to register on Node 20.
    const values = import('tsx/esm/api')
      .then(({ tsImport }) => tsImport('./serverless-values.ts', __filename))
      .then((module) =>
        module.serverlessValues({ ...input, warn: (message) => process.stderr.write(`${message}\n`) }),
      );
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

module.exports = load;
