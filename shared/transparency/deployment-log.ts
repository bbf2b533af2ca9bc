import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import { KmsNoteSigner } from '../tlog/kms-note-signer.js';
import { type CommitFeed, LocalCommitFeed, QueueCommitFeed } from './commit-feed.js';
import { LogSequencer } from './log-sequencer.js';
import { S3TileStore } from './s3-tile-store.js';

interface LogClients {
  s3: S3Client;
  kms: KMSClient;
  sqs: SQSClient;
  dynamo: DynamoDBDocumentClient;
}

/** The deployment's sequencer: its ledger table, its tiles in the audit bucket, its KMS key. */
export function deploymentSequencer(
  clients: Omit<LogClients, 'sqs'>,
  config: Pick<Config, 'ledgerTable' | 'transparencyLog'>,
): LogSequencer {
  const log = config.transparencyLog;
  let signer: Promise<KmsNoteSigner> | undefined;
  return new LogSequencer({
    dynamo: clients.dynamo,
    table: config.ledgerTable,
    tiles: new S3TileStore(clients.s3, { bucket: log.bucket, prefix: log.prefix }),
    origin: log.origin,
    // The key's public half is read once a process; a failed read is tried again next time.
    signer: () => {
      signer ??= KmsNoteSigner.create(clients.kms, log.keyId, log.origin);
      signer.catch(() => {
        signer = undefined;
      });
      return signer;
    },
  });
}

let feed: CommitFeed | undefined;

/**
 * The process's commit feed (docs/architecture.md, "Transparency log"): the sequencer's queue when
 * the deployment names one (S3SEAL_TLOG_QUEUE_URL: every Lambda function, and any process pointed
 * at a deployed stage, whose key only the sequencer may sign with), else this process's own
 * sequencer (the local stack). One per process, so a local run's driver flushes what its handlers
 * added.
 */
export function processCommitFeed(clients: LogClients, config: Config): CommitFeed {
  const queueUrl = config.transparencyLog.queueUrl;
  feed ??= queueUrl
    ? new QueueCommitFeed(clients.sqs, queueUrl)
    : new LocalCommitFeed(deploymentSequencer(clients, config));
  return feed;
}
