import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { QUEUES, type QueueName } from './queue-names.js';

export { QUEUES, type QueueName };
export type QueueUrls = Record<QueueName, string>;

export function queueName(config: Pick<Config, 'queuePrefix'>, queue: QueueName): string {
  return `${config.queuePrefix}-${queue}`;
}

/**
 * Queue URLs (or, with suffix `-dlq`, their dead-letter queues' URLs) from the environment (as
 * serverless.yml sets them on Lambda), else looked up by name (as `s3-seal setup` created them).
 */
export async function resolveQueueUrls(
  sqs: SQSClient,
  config: Pick<
    Config,
    'queuePrefix' | 'scanQueueUrl' | 'encryptQueueUrl' | 'eventsQueueUrl' | 'rewrapQueueUrl' | 'largeQueueUrl'
  >,
  suffix: '' | '-dlq' = '',
): Promise<QueueUrls> {
  const fromEnv: Partial<QueueUrls> =
    suffix === ''
      ? {
          scan: config.scanQueueUrl,
          encrypt: config.encryptQueueUrl,
          events: config.eventsQueueUrl,
          rewrap: config.rewrapQueueUrl,
          large: config.largeQueueUrl,
        }
      : {};
  const entries = await Promise.all(
    QUEUES.map(async (queue) => {
      const known = fromEnv[queue];
      if (known) return [queue, known] as const;
      const name = `${queueName(config, queue)}${suffix}`;
      try {
        const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
        return [queue, out.QueueUrl!] as const;
      } catch (cause) {
        throw new ConfigError(`queue ${name} not found: run \`s3-seal setup\` first`, { cause });
      }
    }),
  );
  return Object.fromEntries(entries) as QueueUrls;
}
