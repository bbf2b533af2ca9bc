import { writeFile } from 'node:fs/promises';
import type { AuditRecord } from '../../shared/audit/audit-log.js';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import { renderRunReport } from '../../shared/audit/run-report.js';
import { ConfigError } from '../../shared/errors.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { assertWritableTarget } from '../output-file.js';
import { cliRuntime } from '../runtime.js';

export async function reportCommand(runId: string, options: { html: string }): Promise<number> {
  await assertWritableTarget(options.html);
  const { config, clients } = cliRuntime();
  const run = await new RunStore(clients.dynamo, config.ledgerTable).get(runId);
  if (!run) throw new ConfigError(`run ${runId} not found`);
  const records: AuditRecord[] = [];
  for await (const record of recordsOfRun(clients.dynamo, config.auditTable, runId)) records.push(record);
  await writeFile(options.html, renderRunReport(run, records));
  console.error(`wrote ${options.html}: run ${runId}, ${records.length} audit record(s)`);
  return 0;
}
