import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { findingLine } from '../../shared/audit/audit-finding.js';
import { deploymentChunkSource } from '../../shared/audit/deployment-chunk-source.js';
import { runRecords } from '../../shared/audit/run-records.js';
import { verifyRunTrail } from '../../shared/audit/verify-trail.js';
import type { Clients } from '../../shared/clients.js';
import type { Config } from '../../shared/config.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { openObject } from '../../shared/envelope/open-object.js';
import type { QueueUrls } from '../../shared/queues.js';
import { type RunStore, settled } from '../../shared/runs/run-store.js';
import { listObjectPages } from '../../shared/s3/list-objects.js';
import { headObject } from '../../shared/s3/object-head.js';

export interface SoakCheck {
  objects: number;
  lost: string[];
  encryptedTwice: string[];
  inProgress: string[];
  doneMismatch: string[];
  auditFindings: string[];
  /** Committed chunks that are not leaves of the transparency log (or share a leaf). */
  notInLog: string[];
  auditRecords: number;
  outcomes: number;
  /** Bodies of the messages in each dead-letter queue. */
  deadLetters: Record<string, string[]>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Checks a soaked bucket independently of the pipeline's counters: every object's readable bytes
 * against what the seeder and the writer last wrote, the run's chunk items and committed records
 * against S3, the audit trail's logs and digest, and what the dead-letter queues hold.
 */
export async function checkSoak(deps: {
  clients: Clients;
  config: Config;
  runs: RunStore;
  dlqs: QueueUrls;
  bucket: string;
  runId: string;
  expected: Map<string, string>;
  overwritten: Set<string>;
}): Promise<SoakCheck> {
  const { clients, config, bucket } = deps;
  const check: SoakCheck = {
    objects: 0,
    lost: [],
    encryptedTwice: [],
    inProgress: [],
    doneMismatch: [],
    auditFindings: [],
    notInLog: [],
    auditRecords: 0,
    outcomes: 0,
    deadLetters: {},
  };
  const present = new Set<string>();
  for await (const page of listObjectPages(clients.s3, { bucket })) {
    for (const object of page.objects) present.add(object.key);
  }
  const etags = new Map<string, string>();
  for (const [key, digest] of deps.expected) {
    check.objects++;
    const head = present.has(key) ? await headObject(clients.s3, bucket, key) : undefined;
    if (!head) {
      check.lost.push(`${key}: missing`);
      continue;
    }
    etags.set(key, head.etag);
    let bytes: Uint8Array;
    if (envelopeFormatOf(head.metadata)) {
      bytes = await buffer((await openObject(clients, bucket, key)).plaintext);
    } else {
      const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      bytes = await got.Body!.transformToByteArray();
    }
    // A second envelope would decrypt to the first envelope's ciphertext: it shows up here too.
    if (sha256(bytes) !== digest) check.lost.push(`${key}: bytes differ from the last write`);
  }

  const encryptions = new Map<string, number>();
  const source = deploymentChunkSource(clients, config);
  // No chunk may be left claimed once the run settled: its objects would be uncounted. Every
  // committed chunk is a leaf of the transparency log by the time the workers stopped, each its own.
  const leaves = new Map<number, string>();
  for await (const item of source.listRun(deps.runId)) {
    if (item.state !== 'DONE') check.inProgress.push(`chunk ${item.chunkId}: ${item.state}`);
    else if (item.leafIndex === undefined) check.notInLog.push(`chunk ${item.chunkId}: committed, no leaf`);
    else if (leaves.has(item.leafIndex))
      check.notInLog.push(
        `chunk ${item.chunkId}: leaf ${item.leafIndex} is chunk ${leaves.get(item.leafIndex)}'s`,
      );
    else leaves.set(item.leafIndex, item.chunkId);
  }
  const lastWrite = new Map<string, string | undefined>();
  for await (const record of runRecords(source, deps.runId)) {
    check.auditRecords++;
    if (record.decision === 'encrypted') {
      encryptions.set(record.key, (encryptions.get(record.key) ?? 0) + 1);
      lastWrite.set(record.key, record.etagAfter);
    }
  }
  // What the trail says the run wrote is what S3 holds, unless the writer replaced it since.
  for (const [key, etag] of lastWrite) {
    if (!deps.overwritten.has(key) && etag !== undefined && etag !== etags.get(key)) {
      check.doneMismatch.push(`${key}: trail ${etag}, S3 ${etags.get(key)}`);
    }
  }
  for (const [key, n] of encryptions) if (n > 1) check.encryptedTwice.push(`${key}: ${n} encryptions`);
  const run = await deps.runs.get(deps.runId);
  check.outcomes = run ? settled(run.counts) : 0;
  const verified = await verifyRunTrail(
    {
      source,
      runs: deps.runs,
      legacy: { dynamo: clients.dynamo, auditTable: config.auditTable, ledgerTable: config.ledgerTable },
    },
    deps.runId,
  );
  check.auditFindings = verified.findings.map(findingLine);

  // Read every dead letter (hidden for a minute so each is seen once; they stay in the queue).
  for (const [queue, url] of Object.entries(deps.dlqs)) {
    const bodies: string[] = [];
    for (let empty = 0; empty < 2; ) {
      const out = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
          WaitTimeSeconds: 1,
        }),
      );
      const got = out.Messages ?? [];
      if (got.length === 0) empty++;
      bodies.push(...got.map((m) => m.Body ?? ''));
    }
    check.deadLetters[queue] = bodies;
  }
  return check;
}
