import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config.js';
import { addFaultMiddleware, holdCrashesDuringUploads } from './fault-middleware.js';
import { faultsFor } from './faults.js';

/** The AWS SDK clients s3-seal uses, built once per process and injected everywhere else. */
export interface Clients {
  s3: S3Client;
  sqs: SQSClient;
  kms: KMSClient;
  dynamo: DynamoDBDocumentClient;
}

/**
 * Builds the clients. Endpoints, region and credentials come only from the SDK's standard sources
 * (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION, ...), so the same code talks to AWS or to
 * the local stack. The SDK's Node handler keeps connections alive, which matters at thousands of
 * small requests a second.
 */
export function createClients(config: Pick<Config, 's3ForcePathStyle' | 'faults'>): Clients {
  const retry = { maxAttempts: 5 };
  const clients: Clients = {
    s3: withoutSdkLogging(new S3Client({ ...retry, forcePathStyle: config.s3ForcePathStyle })),
    // Always send to the configured endpoint, not to the host inside a queue URL.
    sqs: withoutSdkLogging(new SQSClient({ ...retry, useQueueUrlAsEndpoint: false })),
    kms: withoutSdkLogging(new KMSClient(retry)),
    dynamo: DynamoDBDocumentClient.from(withoutSdkLogging(new DynamoDBClient(retry)), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };
  if (config.faults) {
    const faults = faultsFor(config.faults);
    addFaultMiddleware(clients.kms, faults, { name: 'ThrottlingException', status: 400 });
    addFaultMiddleware(clients.s3, faults, { name: 'SlowDown', status: 503 });
    holdCrashesDuringUploads(clients.s3, faults);
  }
  return clients;
}

/** The SDK middleware that hands each request and response to a client's `logger`. */
export const SDK_LOGGER_MIDDLEWARE = 'loggerMiddleware';

/**
 * A client without the SDK's logger middleware. s3-seal gives the SDK no logger (it logs through
 * shared/logger.ts), yet the middleware copies every request's input and every response's output
 * through the operation's sensitive-data filter for the SDK's silent default logger: about 2.5 % of
 * a backfill's client CPU, on a machine where the client's CPU is what limits it (bench/RESULTS.md).
 */
function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove(SDK_LOGGER_MIDDLEWARE);
  return client;
}
