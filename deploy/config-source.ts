import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../shared/errors.js';

/**
 * Where a stage's deployment config comes from, in order:
 *   1. `--param config=PATH` or S3SEAL_DEPLOY_CONFIG=PATH: that file, which must exist;
 *   2. `deploy/config.<stage>.json`;
 *   3. stage params alone (`--param bucket=… --param mode=… --param kmsKeyArn=…`, or a `params:`
 *      block in serverless.yml) when they name the bucket settings;
 *   4. otherwise `deploy/config.example.json`, so a fresh clone packages without any setup. It
 *      names the AWS documentation account, and deploying it is refused (see serverless-values.ts).
 * Stage params override what the file says: bucket params replace its bucket list with one bucket,
 * rotation and alarm params replace those fields.
 */

/** Params that describe the single bucket a params-only deployment protects. */
const BUCKET_PARAMS = {
  bucket: 'name',
  mode: 'mode',
  kmsKeyArn: 'kmsKeyArn',
  previousKmsKeyArns: 'previousKmsKeyArns',
};
const ROTATION_PARAMS = {
  rotationSchedule: 'schedule',
  rotationMaxKeyAgeDays: 'maxKeyAgeDays',
  rotationAliases: 'aliases',
};
/** The other params: the config file to read, the alarm topic, the audit trail's retention. */
const OTHER_PARAMS = new Set(['config', 'alarmTopicArn', 'auditRetentionDays']);

export const EXAMPLE_CONFIG = 'deploy/config.example.json';

export interface ConfigSource {
  /** The raw config, before validation. */
  input: Record<string, unknown>;
  /** What to call it in messages: a file, "stage params", or both. */
  source: string;
  /** True when nothing was configured for this stage and the example stands in. */
  example: boolean;
  /** Maps a field path of the merged config back to what the user wrote (a `--param` name). */
  fieldLabel: (field: string) => string;
}

export interface SourceInput {
  serviceDir: string;
  stage: string;
  /** S3SEAL_DEPLOY_CONFIG. */
  configPath?: string;
  /** Stage params: serverless.yml `params` for the stage, overridden by `--param key=value`. */
  params?: Record<string, string>;
}

export function resolveConfigSource(input: SourceInput): ConfigSource {
  const params = input.params ?? {};
  rejectUnknownParams(params);
  const bucketParams = Object.keys(BUCKET_PARAMS).filter((name) => params[name] !== undefined);

  const explicit = params.config ?? input.configPath;
  const stageFile = `deploy/config.${input.stage}.json`;
  let file: string | undefined;
  let example = false;
  if (explicit) file = explicit;
  else if (existsSync(resolve(input.serviceDir, stageFile))) file = stageFile;
  else if (bucketParams.length === 0) {
    file = EXAMPLE_CONFIG;
    example = true;
  }

  const config: Record<string, unknown> = file ? readConfigFile(input.serviceDir, file) : {};
  if (bucketParams.length > 0) config.buckets = [bucketFromParams(params)];
  const rotationParams = Object.keys(ROTATION_PARAMS).filter((name) => params[name] !== undefined);
  if (rotationParams.length > 0)
    config.rotation = { ...asObject(config.rotation), ...rotationFromParams(params) };
  if (params.alarmTopicArn !== undefined) config.alarmTopicArn = params.alarmTopicArn;
  if (params.auditRetentionDays !== undefined) {
    config.audit = { ...asObject(config.audit), retentionDays: numberOrText(params.auditRetentionDays) };
  }

  const fromParams =
    bucketParams.length > 0 ||
    rotationParams.length > 0 ||
    params.alarmTopicArn !== undefined ||
    params.auditRetentionDays !== undefined;
  const source = [file, fromParams ? 'stage params' : undefined].filter(Boolean).join(' + ');
  const given = new Set(Object.keys(params));
  return { input: config, source, example, fieldLabel: (field) => labelField(field, given) };
}

function rejectUnknownParams(params: Record<string, string>): void {
  const known = new Set([...Object.keys(BUCKET_PARAMS), ...Object.keys(ROTATION_PARAMS), ...OTHER_PARAMS]);
  const unknown = Object.keys(params).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown stage param ${unknown.map((name) => `"${name}"`).join(', ')} (known: ${[...known].join(', ')})`,
    );
  }
}

function readConfigFile(serviceDir: string, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(resolve(serviceDir, file), 'utf8');
  } catch (cause) {
    throw new ConfigError(
      `deployment config ${file} not found: copy ${EXAMPLE_CONFIG} to it and fill it in`,
      {
        cause,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`deployment config ${file} is not JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`deployment config ${file} must be a JSON object with a "buckets" list`);
  }
  return json as Record<string, unknown>;
}

const asObject = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Params are strings; leave a missing `bucket` out so validation reports it as required. */
function bucketFromParams(params: Record<string, string>): Record<string, unknown> {
  return {
    ...(params.bucket !== undefined ? { name: params.bucket } : {}),
    mode: params.mode ?? 'sse-kms',
    ...(params.kmsKeyArn ? { kmsKeyArn: params.kmsKeyArn } : {}),
    ...(params.previousKmsKeyArns ? { previousKmsKeyArns: list(params.previousKmsKeyArns) } : {}),
  };
}

function rotationFromParams(params: Record<string, string>): Record<string, unknown> {
  const rotation: Record<string, unknown> = {};
  if (params.rotationSchedule !== undefined) rotation.schedule = params.rotationSchedule;
  if (params.rotationAliases !== undefined) rotation.aliases = list(params.rotationAliases);
  if (params.rotationMaxKeyAgeDays) rotation.maxKeyAgeDays = numberOrText(params.rotationMaxKeyAgeDays);
  return rotation;
}

/** A number when it reads as one, so validation's message is about the value, not its type. */
function numberOrText(value: string): number | string {
  const number = Number(value);
  return value.trim() === '' || Number.isNaN(number) ? value : number;
}

/** `buckets[0].mode` reads `--param mode (buckets[0].mode)` when that value came from a param. */
function labelField(field: string, given: Set<string>): string {
  const fromParams = Object.keys(BUCKET_PARAMS).some((name) => given.has(name));
  if (fromParams && field === 'buckets[0]') return '--param bucket';
  const [, group, name] = /^(buckets\[0\]|rotation)\.(\w+)/.exec(field) ?? [];
  const names = group === 'rotation' ? ROTATION_PARAMS : fromParams && group ? BUCKET_PARAMS : {};
  const param = Object.entries(names).find(([, configName]) => configName === name)?.[0];
  if (param && (group !== 'rotation' || given.has(param))) return `--param ${param} (${field})`;
  if (field === 'alarmTopicArn' && given.has('alarmTopicArn')) return '--param alarmTopicArn';
  if (field === 'audit.retentionDays' && given.has('auditRetentionDays')) {
    return '--param auditRetentionDays (audit.retentionDays)';
  }
  return field;
}
