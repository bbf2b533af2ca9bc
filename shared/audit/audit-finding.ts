/**
 * One thing `audit verify` found wrong (docs/audit.md, "What verify reports"): printed as
 * `<subject>: <record>: <problem>`. The subject is `s3://bucket/key` when a record is concerned
 * (its record then says run, chunk and position), `run ID chunk C` for a chunk's item or log, and
 * `run ID` for the run's digest.
 */
export interface AuditFinding {
  subject: string;
  record: string;
  problem: string;
}

export function findingLine(finding: AuditFinding): string {
  return `${finding.subject}: ${finding.record}: ${finding.problem}`;
}

export const chunkSubject = (runId: string, chunkId: string) => `run ${runId} chunk ${chunkId}`;

export const recordPlace = (runId: string, chunkId: string, position: number) =>
  `run ${runId} chunk ${chunkId} position ${position}`;
