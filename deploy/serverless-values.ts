import { ConfigError } from '../shared/errors.js';
import { bucketKeys, type DeployConfig, parseDeployConfig } from './config.js';
import { EXAMPLE_CONFIG, resolveConfigSource } from './config-source.js';
import { AUDIT_PREFIX, functionRoles } from './iam.js';
import { SIGNING_POLICY_ID, sequencerSigningPolicy, signingKeyPolicy, TLOG_PREFIX } from './iam-tlog.js';

/** What serverless.yml reads from a stage's validated config (as `${self:custom.deploy.…}`). */
export interface ServerlessValues {
  /** serverless-esbuild always; serverless-localstack on the `local` stage only. */
  plugins: string[];
  /** For the events queue policy: which buckets may send ObjectCreated notifications. */
  bucketArns: string[];
  /** The planner's environment: strings, as Lambda environment variables must be. */
  rotation: { schedule: string; maxKeyAgeDays: string; aliases: string };
  concurrency: DeployConfig['concurrency'];
  /** The encrypt function's S3SEAL_SSE_C_KEY_CIPHERTEXT: the KMS-encrypted SSE-C key, or empty. */
  sseCKeyCiphertext: string;
  /** The audit trail: the prefix the functions write under, and the bucket's default retention. */
  audit: { prefix: string; retentionDays: number };
  /** The alarm topic as a list (empty without one), for AlarmActions and OKActions. */
  alarmActions: string[];
  /**
   * The transparency log: the prefix its tiles go under in the audit bucket, and its signing key's
   * policy (only the sequencer signs: deploy/iam-tlog.ts).
   */
  tlog: { prefix: string; keyPolicy: ReturnType<typeof signingKeyPolicy> };
  /** One IAM role per function and the sequencer's signing policy, merged into the template's resources. */
  resources: { Resources: Record<string, unknown> };
}

export interface ValuesInput {
  serviceDir: string;
  service: string;
  stage: string;
  region: string;
  /** Overrides `deploy/config.<stage>.json` (S3SEAL_DEPLOY_CONFIG). */
  configPath?: string;
  /** Stage params (serverless.yml `params`, then `--param key=value`): deploy/config-source.ts. */
  params?: Record<string, string>;
  /** The osls command being run (`package`, `deploy`, …): deploying the example is refused. */
  command?: string;
  /** Where notices go (stderr under osls). */
  warn?: (message: string) => void;
}

/**
 * The AWS documentation account (the example config's). Nothing real lives there: a config still
 * naming it was never filled in, and deploying it would give the functions roles over nothing.
 */
const EXAMPLE_ACCOUNT = '111122223333';

/** Loads and validates the stage's config, then derives the values serverless.yml uses. */
export function serverlessValues(input: ValuesInput): ServerlessValues {
  const found = resolveConfigSource(input);
  const config = parseDeployConfig(found.input, {
    region: input.region,
    source: found.source,
    fieldLabel: found.fieldLabel,
  });
  if (found.example) {
    input.warn?.(
      `s3-seal: no deploy/config.${input.stage}.json, so this packages ${EXAMPLE_CONFIG} (placeholder buckets and keys). ` +
        `Copy it to deploy/config.${input.stage}.json and fill it in before deploying (docs/deploying.md).`,
    );
  }
  if (input.command === 'deploy' && usesExampleAccount(config)) {
    throw new ConfigError(
      `refusing to deploy ${found.source}: it still names the example account ${EXAMPLE_ACCOUNT}. ` +
        `Write your buckets and key ARNs into deploy/config.${input.stage}.json (docs/deploying.md).`,
    );
  }
  return {
    plugins: ['serverless-esbuild', ...(input.stage === 'local' ? ['serverless-localstack'] : [])],
    bucketArns: config.buckets.map((b) => `arn:aws:s3:::${b.name}`),
    rotation: {
      schedule: config.rotation.schedule,
      maxKeyAgeDays: config.rotation.maxKeyAgeDays?.toString() ?? '',
      aliases: config.rotation.aliases.join(','),
    },
    concurrency: config.concurrency,
    sseCKeyCiphertext: config.sseC?.keyCiphertext ?? '',
    audit: { prefix: AUDIT_PREFIX, retentionDays: config.audit.retentionDays },
    alarmActions: config.alarmTopicArn ? [config.alarmTopicArn] : [],
    tlog: { prefix: TLOG_PREFIX, keyPolicy: signingKeyPolicy() },
    resources: {
      Resources: {
        ...functionRoles(config, { service: input.service, stage: input.stage }),
        [SIGNING_POLICY_ID]: sequencerSigningPolicy(),
      },
    },
  };
}

function usesExampleAccount(config: DeployConfig): boolean {
  const arns = [
    ...config.buckets.flatMap(bucketKeys),
    config.sseC?.kmsKeyArn ?? '',
    config.alarmTopicArn ?? '',
  ];
  return arns.some((arn) => arn.split(':')[4] === EXAMPLE_ACCOUNT);
}
