import { resolve } from 'node:path';
import { type DeployConfig, loadDeployConfig } from './config.js';
import { functionRoles } from './iam.js';

/** What serverless.yml reads from a stage's validated config (as `${self:custom.deploy.…}`). */
export interface ServerlessValues {
  /** The config file these values came from, relative to the service directory. */
  configFile: string;
  /** serverless-esbuild always; serverless-localstack on the `local` stage only. */
  plugins: string[];
  bucketNames: string[];
  /** For the events queue policy: which buckets may send ObjectCreated notifications. */
  bucketArns: string[];
  /** The planner's environment: strings, as Lambda environment variables must be. */
  rotation: { schedule: string; maxKeyAgeDays: string; aliases: string };
  concurrency: DeployConfig['concurrency'];
  /** The alarm topic as a list (empty without one), for AlarmActions and OKActions. */
  alarmActions: string[];
  /** One IAM role per function, merged into the template's resources. */
  resources: { Resources: Record<string, unknown> };
}

export interface ValuesInput {
  serviceDir: string;
  service: string;
  stage: string;
  region: string;
  /** Overrides `deploy/config.<stage>.json` (S3SEAL_DEPLOY_CONFIG). */
  configPath?: string;
}

/** Loads and validates the stage's config, then derives the values serverless.yml uses. */
export function serverlessValues(input: ValuesInput): ServerlessValues {
  const configFile = input.configPath || `deploy/config.${input.stage}.json`;
  const config = loadDeployConfig(resolve(input.serviceDir, configFile), {
    region: input.region,
    source: configFile,
  });
  return {
    configFile,
    plugins: ['serverless-esbuild', ...(input.stage === 'local' ? ['serverless-localstack'] : [])],
    bucketNames: config.buckets.map((b) => b.name),
    bucketArns: config.buckets.map((b) => `arn:aws:s3:::${b.name}`),
    rotation: {
      schedule: config.rotation.schedule,
      maxKeyAgeDays: config.rotation.maxKeyAgeDays?.toString() ?? '',
      aliases: config.rotation.aliases.join(','),
    },
    concurrency: config.concurrency,
    alarmActions: config.alarmTopicArn ? [config.alarmTopicArn] : [],
    resources: { Resources: functionRoles(config, { service: input.service, stage: input.stage }) },
  };
}
