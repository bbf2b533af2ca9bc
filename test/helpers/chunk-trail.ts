import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { AuditDecision } from '../../shared/audit/audit-record.js';
import type { ChunkSource } from '../../shared/audit/chunk-source.js';
import { deploymentChunkSource } from '../../shared/audit/deployment-chunk-source.js';
import { runRecords } from '../../shared/audit/run-records.js';
import { canonicalJson } from '../../shared/chunks/canonical-json.js';
import type { ChunkLogLine, ChunkRecord, ReadChunkLog } from '../../shared/chunks/chunk-log-types.js';
import type { ChunkItem } from '../../shared/chunks/chunk-store.js';
import type { Clients } from '../../shared/clients.js';
import type { Config } from '../../shared/config.js';

/**
 * The audit trail of a test's deployment (chunk items and chunk logs), with the edits a tamperer
 * makes to it: overwrite a log with other lines, delete it, add one. S3 keeps no Object Lock in
 * LocalStack tests, so each edit is an ordinary PUT or DELETE.
 */
interface Deployment {
  clients: Clients;
  config: Config;
}

export const trailOf = (deployment: Deployment): ChunkSource =>
  deploymentChunkSource(deployment.clients, deployment.config);

/** A run's committed records, optionally only some decisions. */
export async function recordsOfRun(
  deployment: Deployment,
  runId: string,
  decisions?: AuditDecision[],
): Promise<ChunkRecord[]> {
  const records: ChunkRecord[] = [];
  for await (const record of runRecords(trailOf(deployment), runId))
    if (!decisions || decisions.includes(record.decision)) records.push(record);
  return records;
}

/** The committed chunk holding an object's record in a run: its item, its log and the line. */
export async function committedLineOf(
  deployment: Deployment,
  runId: string,
  bucket: string,
  key: string,
): Promise<{ item: ChunkItem; log: ReadChunkLog; line: number }> {
  const trail = trailOf(deployment);
  for await (const item of trail.listRun(runId)) {
    if (item.state !== 'DONE') continue;
    const log = (await trail.readLog(item.logKey!))!;
    const line = log.lines.findIndex((l) => l.record.bucket === bucket && l.record.key === key);
    if (line >= 0) return { item, log, line };
  }
  throw new Error(`no committed record of s3://${bucket}/${key} in run ${runId}`);
}

/** Stores `lines` as a chunk log at `key`, replacing whatever is there (a tamperer's PUT). */
export async function putLogLines(deployment: Deployment, key: string, lines: ChunkLogLine[]): Promise<void> {
  const text = lines.map((line) => `${canonicalJson(line)}\n`).join('');
  await deployment.clients.s3.send(
    new PutObjectCommand({ Bucket: deployment.config.auditLocation.bucket, Key: key, Body: gzipSync(text) }),
  );
}

export async function deleteLog(deployment: Deployment, key: string): Promise<void> {
  await deployment.clients.s3.send(
    new DeleteObjectCommand({ Bucket: deployment.config.auditLocation.bucket, Key: key }),
  );
}
